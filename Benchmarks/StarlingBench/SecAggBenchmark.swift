import Crypto
import Foundation
import SecureAggregation
import StarlingCore

/// SecAgg+ costs: one client's masking stage for P parameters and k neighbours, and whole
/// aggregations of n simulated clients (every client's stages plus the server) with and without
/// 10 % of the clients dropping after sharing their keys, the case that makes the server rebuild
/// pairwise masks. Figures are named as Benchmarks/flower_secagg.py names Flower's.
struct SecAggBenchmark {
    var quick: Bool

    func run() throws {
        clientEncode(parameterCount: 100_000)
        for neighbours in [16, 28] {
            try clientShareKeys(neighbours: neighbours)
        }
        try maskPaths(parameterCount: 100_000)
        try agreementPaths(peers: 28)
        for parameterCount in [100_000, 1_000_000] {
            for neighbours in [8, 16, 32] {
                try clientMask(parameterCount: parameterCount, neighbours: neighbours)
            }
        }
        for clients in [100, 1000] {
            for dropPercent in [0, 10] {
                try aggregation(clients: clients, parameterCount: 100_000, dropPercent: dropPercent)
            }
        }
    }

    /// Best of several timed encodings of a device's update (P values, stochastic rounding).
    private func clientEncode(parameterCount: Int) {
        let codec = FixedPointCodec(clippingRange: 1, bits: 25)
        var values = StarlingCore.SeededRNG(seed: 11)
        let update = (0..<parameterCount).map { _ in Float(Double(values.next() % 2_000_001) / 1e6 - 1) }
        var best = Double.infinity
        var checksum: UInt32 = 0
        for round in 0..<(quick ? 3 : 10) {
            var rng = StarlingCore.SeededRNG(seed: UInt64(round))
            let start = Stopwatch.now()
            let words = codec.encode(update, scaledBy: 0.5, then: [1, 2], using: &rng)
            best = min(best, Double(Stopwatch.now() - start) / 1e9)
            checksum &+= words[round]
        }
        BenchLine(
            "secagg", "client_encode_p\(parameterCount)", best * 1e3, "ms",
            note: "one device: its update in fixed point, rounded stochastically (checksum \(checksum))"
        ).emit()
    }

    /// Best of several timed key-sharing stages of client 0 among k + 1 clients: k X25519
    /// agreements and share keys, Shamir splits of its two secrets, k sealed envelopes.
    private func clientShareKeys(neighbours: Int) throws {
        let count = neighbours + 1
        let parameters = try SecAggParameters(
            roundId: "bench-share", clientCount: count, threshold: (2 * count + 2) / 3, vectorLength: 1,
            clippingRange: 1, graphSeed: 1, neighbourCount: neighbours)
        var clients = try (0..<count).map { try SecAggClient(parameters: parameters, index: $0) }
        var server = SecAggServer(parameters: parameters)
        for index in 0..<count { try server.receive(.advertisedKeys(try clients[index].advertiseKeys())) }
        try server.closeStage()
        let keys = server.neighbourKeys(for: 0)
        var best = Double.infinity
        for _ in 0..<(quick ? 3 : 10) {
            var client = clients[0]
            let start = Stopwatch.now()
            _ = try client.shareKeys(keys)
            best = min(best, Double(Stopwatch.now() - start) / 1e9)
        }
        BenchLine(
            "secagg", "client_share_keys_k\(neighbours)", best * 1e3, "ms",
            note: "one device: \(neighbours) agreements and share keys, Shamir splits, \(neighbours) sealed envelopes"
        ).emit()
    }

    /// One mask of P words added, on the path this CPU takes (the one-pass AES kernel where it has
    /// AES instructions) beside swift-crypto's keystream in chunks (the portable path), best of
    /// several each, alternating.
    private func maskPaths(parameterCount: Int) throws {
        let generator = MaskGenerator()
        let seed = SymmetricKey(data: [UInt8](repeating: 7, count: 16))
        var vector = [UInt32](repeating: 1, count: parameterCount)
        var best = (kernel: Double.infinity, portable: Double.infinity)
        for _ in 0..<(quick ? 5 : 20) {
            var start = Stopwatch.now()
            try generator.apply(seed: seed, .add, to: &vector)
            best.kernel = min(best.kernel, Double(Stopwatch.now() - start) / 1e9)
            start = Stopwatch.now()
            try generator.applyPortably(seed: seed, .subtract, to: &vector)
            best.portable = min(best.portable, Double(Stopwatch.now() - start) / 1e9)
        }
        precondition(vector.allSatisfy { $0 == 1 }, "the two paths made different masks")
        let bytes = Double(parameterCount * 4)
        emitPaths(
            "mask_p\(parameterCount)", seconds: best,
            notes: (
                "one mask expanded and added on the path this CPU takes (\(bytes / best.kernel / 1e9) GB/s)",
                "the same mask from swift-crypto's AES-CTR in 64 kB chunks (\(bytes / best.portable / 1e9) GB/s)"
            ))
    }

    /// A kernel's best time beside its portable path's, in microseconds, and their ratio.
    private func emitPaths(_ metric: String, seconds: (kernel: Double, portable: Double), notes: (String, String)) {
        BenchLine("secagg", "\(metric)_this_cpu", seconds.kernel * 1e6, "us", note: notes.0).emit()
        BenchLine("secagg", "\(metric)_portable", seconds.portable * 1e6, "us", note: notes.1).emit()
        BenchLine(
            "secagg", "\(metric)_ratio", seconds.kernel / seconds.portable, "ratio",
            note: "this CPU's path / the portable path, same run"
        ).emit()
    }

    /// One device's X25519 agreements with `peers` neighbours, on the path this CPU takes (eight
    /// ladders at a time where it has AVX-512 IFMA) beside swift-crypto's one at a time, best of
    /// several each, alternating.
    private func agreementPaths(peers count: Int) throws {
        let key = Curve25519.KeyAgreement.PrivateKey()
        let peers = (0..<count).map { _ in Curve25519.KeyAgreement.PrivateKey().publicKey }
        var best = (kernel: Double.infinity, portable: Double.infinity)
        for _ in 0..<(quick ? 5 : 20) {
            var start = Stopwatch.now()
            let batched = try X25519Agreements.secrets(key, with: peers)
            best.kernel = min(best.kernel, Double(Stopwatch.now() - start) / 1e9)
            start = Stopwatch.now()
            let portable = try X25519Agreements.portably(key, with: peers)
            best.portable = min(best.portable, Double(Stopwatch.now() - start) / 1e9)
            precondition(batched == portable, "the two paths made different secrets")
        }
        let path = X25519Agreements.batched ? "eight at a time, AVX-512 IFMA" : "one at a time, swift-crypto"
        emitPaths(
            "x25519_k\(count)", seconds: best,
            notes: (
                "one device's \(count) agreements on the path this CPU takes (\(path))",
                "the same agreements one at a time with swift-crypto"
            ))
    }

    /// Best of several timed masking stages of client 0 among k + 1 clients on the full graph.
    private func clientMask(parameterCount: Int, neighbours: Int) throws {
        let count = neighbours + 1
        let parameters = try SecAggParameters(
            roundId: "bench-mask", clientCount: count, threshold: (2 * count + 2) / 3, vectorLength: parameterCount,
            clippingRange: 1, graphSeed: 1, neighbourCount: neighbours)
        var clients = try (0..<count).map { try SecAggClient(parameters: parameters, index: $0) }
        var server = SecAggServer(parameters: parameters)
        for index in 0..<count { try server.receive(.advertisedKeys(try clients[index].advertiseKeys())) }
        try server.closeStage()
        for index in 0..<count {
            try server.receive(.sharedKeys(try clients[index].shareKeys(server.neighbourKeys(for: index))))
        }
        try server.closeStage()
        let relayed = server.relayedShares(for: 0)
        let input = [UInt32](repeating: 12_345, count: parameterCount)
        var best = Double.infinity
        for _ in 0..<(quick ? 2 : 5) {
            var client = clients[0]
            let start = Stopwatch.now()
            _ = try client.maskInput(relayed, input: input)
            best = min(best, Double(Stopwatch.now() - start) / 1e9)
        }
        BenchLine(
            "secagg", "client_mask_p\(parameterCount)_k\(neighbours)", best * 1e3, "ms",
            note: "one client: open \(neighbours) share envelopes, expand and add 1 self + \(neighbours) pairwise masks"
        ).emit()
        let bytes = Double((neighbours + 1) * parameterCount * 4)
        BenchLine(
            "secagg", "mask_expansion_p\(parameterCount)_k\(neighbours)", bytes / best / 1e9, "GB/s",
            note: "mask bytes produced and added per second on one core (AES-128-CTR); target ≥ 1"
        ).emit()
    }

    /// One whole aggregation in process; the server's unmasking is also reported on its own.
    private func aggregation(clients: Int, parameterCount: Int, dropPercent: Int) throws {
        let parameters = try SecAggParameters(
            roundId: "bench-round", clientCount: clients, threshold: (2 * clients + 2) / 3,
            vectorLength: parameterCount,
            clippingRange: 1, graphSeed: 3)
        let dropped = Set(stride(from: 0, to: clients, by: 10).prefix(clients * dropPercent / 100).map { $0 + 3 })
        let input = (0..<parameterCount).map { UInt32(truncatingIfNeeded: $0 &* 2_654_435_761) >> 10 }
        let simulation = SecAggSimulation(
            parameters: parameters, dropouts: dropped.isEmpty ? [:] : [.maskedInput: dropped])
        let start = Stopwatch.now()
        let outcome = try simulation.run { _ in input }
        let total = Double(Stopwatch.now() - start) / 1e9
        guard outcome.survivors.count == clients - dropped.count else {
            throw SecAggError.malformedMessage("the benchmark aggregation lost clients it should have kept")
        }
        let setting =
            "n \(clients), k \(parameters.neighbourCount), share threshold \(parameters.shareThreshold), P \(parameterCount), \(dropped.count) dropped after sharing keys"
        BenchLine(
            "secagg", "server_unmask_n\(clients)_p\(parameterCount)_drop\(dropPercent)", outcome.unmaskSeconds, "s",
            note: "server: rebuild secrets, regenerate and remove masks on all cores; \(setting)"
        ).emit()
        let stages = SecAggStage.allCases.map {
            "\($0.pathComponent) \(String(format: "%.2f", outcome.stageSeconds[$0] ?? 0)) s"
        }
        BenchLine(
            "secagg", "end_to_end_n\(clients)_p\(parameterCount)_drop\(dropPercent)", total, "s",
            note:
                "every client's four stages and the server, in one process on all cores (\(stages.joined(separator: ", "))); \(setting)"
        ).emit()
    }
}
