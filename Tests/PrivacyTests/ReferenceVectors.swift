import Foundation

/// The reference values in Vectors/rdp_vectors.json, written by Vectors/make_vectors.py from
/// dp-accounting and from high-precision integration of the Rényi divergence.
struct ReferenceVectors: Decodable {
    struct Bound: Decodable {
        /// nil where the reference is infinite.
        let epsilon: Double?
        let order: Double
    }

    struct Point: Decodable {
        let q: Double
        let sigma: Double
        let steps: Int
        let delta: Double
        /// dp-accounting's RdpAccountant with the integer orders 2…256.
        let integer: Bound
        /// dp-accounting's RdpAccountant with its default orders.
        let `default`: Bound
        /// The default orders with the exact divergence at the fractional ones.
        let exactDefault: Bound
    }

    struct Curve: Decodable {
        let q: Double
        let sigma: Double
        let orders: [Double]
        /// dp-accounting's per-step RDP; nil where it left the order out.
        let library: [Double?]
        let exact: [Double]
    }

    struct DeltaPoint: Decodable {
        let q: Double
        let sigma: Double
        let steps: Int
        let epsilon: Double
        let delta: Double
        let order: Double
    }

    struct Event: Decodable {
        let q: Double
        let sigma: Double
        let steps: Int
    }

    struct Composition: Decodable {
        let events: [Event]
        let delta: Double
        let integer: Bound
    }

    let integerOrders: [Double]
    let defaultOrders: [Double]
    let points: [Point]
    let rdp: [Curve]
    let delta: [DeltaPoint]
    let composition: Composition

    /// Read once from beside this file's folder, so the tests need no resource bundle.
    static func load() throws -> ReferenceVectors { try cached.get() }

    private static let cached = Result { () throws -> ReferenceVectors in
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/rdp_vectors.json")
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(ReferenceVectors.self, from: Data(contentsOf: url))
    }
}
