import Foundation
import StarlingCore

/// The reference rounds in Vectors/server_optimizer_vectors.json, written by Vectors/make_optimizer_vectors.py
/// from the papers in float64.
struct ServerOptimizerVectors: Decodable {
    struct Round: Decodable {
        /// x_{t+1} after the round.
        let x: [Double]
        /// m_t after the round; empty for kinds without it.
        let m: [Double]
        /// v_t after the round; empty for kinds without it.
        let v: [Double]
    }

    struct Case: Decodable {
        let name: String
        let kind: ServerOptimizerKind
        let learningRate: Double
        let beta1: Double
        let beta2: Double
        let tau: Double
        let rounds: [Round]

        var configuration: ServerOptimizerConfiguration {
            ServerOptimizerConfiguration(kind: kind, learningRate: learningRate, beta1: beta1, beta2: beta2, tau: tau)
        }
    }

    /// The common start x_0 and each round's Δ_t, float32 values.
    let x0: [Float]
    let deltas: [[Float]]
    let cases: [Case]

    /// Read once from beside this file, so the tests need no resource bundle.
    static func load() throws -> ServerOptimizerVectors { try cached.get() }

    private static let cached = Result { () throws -> ServerOptimizerVectors in
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Vectors/server_optimizer_vectors.json")
        return try JSONDecoder().decode(ServerOptimizerVectors.self, from: Data(contentsOf: url))
    }
}
