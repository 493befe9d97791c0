import Crypto
import Dispatch
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Regenerates the masks the server must take out of the masked sum and subtracts them, spread
/// over worker threads: each worker expands its share of the masks into its own partial sum, and
/// the partial sums are combined at the end.
enum MaskRemoval {
    /// One mask to take away.
    enum Job: Sendable {
        /// A survivor's self mask, from its reconstructed secret.
        case selfMask(client: Int, secret: [UInt8])
        /// The pairwise masks the survivors added for a neighbour that then dropped, from the
        /// dropped client's reconstructed masking key: its agreements with the survivors' keys are
        /// made together (``X25519Agreements``), eight at a time where the CPU can.
        case pairwiseMasks(
            dropped: Int, droppedKey: Curve25519.KeyAgreement.PrivateKey,
            survivors: [(client: Int, key: Curve25519.KeyAgreement.PublicKey)])
    }

    static func apply(_ jobs: [Job], to maskedSum: [UInt32], roundId: String, workers: Int) throws(SecAggError)
        -> [UInt32]
    {
        let workerCount = max(1, min(workers, jobs.count))
        let partials = Mutex<[[UInt32]]>([])
        let failure = Mutex<SecAggError?>(nil)
        DispatchQueue.concurrentPerform(iterations: workerCount) { worker in
            var partial = [UInt32](repeating: 0, count: maskedSum.count)
            let generator = MaskGenerator()
            do throws(SecAggError) {
                for job in stride(from: worker, to: jobs.count, by: workerCount).map({ jobs[$0] }) {
                    try remove(job, from: &partial, generator: generator, roundId: roundId)
                }
                partials.withLock { $0.append(partial) }
            } catch {
                failure.withLock { $0 = error }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        var sum = maskedSum
        for partial in partials.withLock({ $0 }) {
            sum.withUnsafeMutableBufferPointer { target in
                partial.withUnsafeBufferPointer { source in
                    for index in 0..<target.count { target[index] &+= source[index] }
                }
            }
        }
        return sum
    }

    /// Subtracts a job's masks from `partial` (which starts at zero and is added to the sum later).
    private static func remove(
        _ job: Job, from partial: inout [UInt32], generator: MaskGenerator, roundId: String
    ) throws(SecAggError) {
        switch job {
        case .selfMask(let client, let secret):
            try generator.apply(
                seed: SecAggKeys.selfMaskSeed(secret, roundId: roundId, client: client), .subtract, to: &partial)
        case .pairwiseMasks(let dropped, let droppedKey, let survivors):
            let secrets = try X25519Agreements.secrets(droppedKey, with: survivors.map(\.key))
            for (survivor, secret) in zip(survivors.map(\.client), secrets) {
                let seed = SecAggKeys.pairwiseMaskSeed(secret: secret, roundId: roundId, survivor, dropped)
                // The survivor added the mask when its index was the smaller of the pair.
                try generator.apply(seed: seed, survivor < dropped ? .subtract : .add, to: &partial)
            }
        }
    }
}
