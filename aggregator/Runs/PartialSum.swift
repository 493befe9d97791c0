import Foundation
import StarlingProtocol

/// What one replica has summed of a round's plain training updates: Σ sₖwₖΔₖ over the updates it
/// accepted (wₖ the device's sample weight, sₖ its staleness factor in 1,024ths), Σ wₖ, and which
/// devices are in it. Each replica adds an update to its own row in the transaction that stores
/// the update, so the rows always cover exactly the stored updates; sums are associative, so the
/// leader adds the replicas' rows and divides once, the FedAvg mean (shortened by the buffer's
/// staleness discount in a buffered run) without reading any update again.
struct PartialSum: Sendable, Equatable {
    var devices: [String] = []
    /// Σ wₖ, the devices' sample weights.
    var weight: Int = 0
    /// Σ sₖwₖ, the weights scaled by staleness (``StalenessWeight/scaled(_:staleness:)``).
    var scaledWeight: Int = 0
    /// Σ sₖwₖΔₖ, coordinate by coordinate.
    var sum: [Double] = []

    /// One accepted update as it enters a sum.
    struct Entry: Sendable {
        var device: String
        var weight: Int
        var staleness: Int
        var delta: [Float]
    }

    mutating func add(_ entry: Entry) {
        let scaled = StalenessWeight.scaled(entry.weight, staleness: entry.staleness)
        if sum.isEmpty { sum = [Double](repeating: 0, count: entry.delta.count) }
        let factor = Double(scaled)
        sum.withUnsafeMutableBufferPointer { total in
            for (index, value) in entry.delta.enumerated() where index < total.count {
                total[index] += factor * Double(value)
            }
        }
        devices.append(entry.device)
        weight += entry.weight
        scaledWeight += scaled
    }

    /// The replicas' sums as one.
    static func combined(_ parts: [PartialSum]) -> PartialSum {
        var total = PartialSum()
        for part in parts {
            total.devices += part.devices
            total.weight += part.weight
            total.scaledWeight += part.scaledWeight
            if total.sum.isEmpty {
                total.sum = part.sum
            } else {
                for index in 0..<min(total.sum.count, part.sum.count) { total.sum[index] += part.sum[index] }
            }
        }
        return total
    }

    /// Σ sₖwₖΔₖ / (1,024 Σ wₖ): the weighted mean delta times the staleness discount; a 500 when
    /// no update carries weight or the lengths disagree with the model's `parameterCount`.
    func averageDelta(parameterCount: Int) throws(APIError) -> [Float] {
        guard scaledWeight > 0, weight > 0 else { throw .internal("no update of the round carries any weight") }
        guard sum.count == parameterCount else {
            throw .internal("the round's partial sums hold \(sum.count) values, the model has \(parameterCount)")
        }
        let divisor = 1024 * Double(weight)
        return sum.map { Float($0 / divisor) }
    }

    /// The sum's values as stored: little-endian 64-bit floats.
    var sumBytes: Data {
        var data = Data(capacity: sum.count * 8)
        for value in sum { withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    /// The values of ``sumBytes``; nil for a length that is not whole values.
    static func values(of bytes: [UInt8]) -> [Double]? {
        guard bytes.count % 8 == 0 else { return nil }
        return stride(from: 0, to: bytes.count, by: 8).map { start in
            var bits: UInt64 = 0
            for offset in 0..<8 { bits |= UInt64(bytes[start + offset]) << (8 * offset) }
            return Double(bitPattern: bits)
        }
    }
}
