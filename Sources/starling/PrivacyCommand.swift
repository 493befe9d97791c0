import ArgumentParser
import Foundation
import Privacy

/// `starling privacy …`: the differential-privacy budget of a training run with Poisson-sampled
/// clients and Gaussian noise, by Rényi DP accounting over dp-accounting's default orders.
struct PrivacyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Compute differential-privacy budgets.",
        subcommands: [Epsilon.self, Sigma.self])

    struct Epsilon: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the epsilon a run spends, and the Rényi order that gave it.")

        @OptionGroup var options: AccountedRunOptions

        @Option(help: "Noise standard deviation as a multiple of the clipping norm.")
        var sigma: Double

        func run() throws {
            let guarantee = try accountedGuarantee(
                q: options.q, sigma: sigma, steps: options.steps, delta: options.delta)
            if options.json {
                try PrivacyReport(guarantee, options: options, sigma: sigma).printJSON()
            } else {
                print("epsilon \(guarantee.epsilon) at order \(guarantee.order)")
            }
        }
    }

    struct Sigma: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the smallest noise multiplier that keeps a run within epsilon.")

        @OptionGroup var options: AccountedRunOptions

        @Option(help: "Target epsilon.")
        var epsilon: Double

        func run() throws {
            let sigma: Double
            do throws(PrivacyError) {
                sigma = try NoiseCalibration.noiseMultiplier(
                    samplingRate: options.q, steps: options.steps, epsilon: epsilon, delta: options.delta)
            } catch {
                guard case .calibrationImpossible = error else { throw ValidationError(error.description) }
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                throw ExitCode(1)
            }
            let guarantee = try accountedGuarantee(
                q: options.q, sigma: sigma, steps: options.steps, delta: options.delta)
            if options.json {
                try PrivacyReport(guarantee, options: options, sigma: sigma).printJSON()
            } else {
                print("sigma \(sigma)")
            }
        }
    }
}

/// The options both `starling privacy` commands take: the run being accounted and the output form.
struct AccountedRunOptions: ParsableArguments {
    @Option(name: .customLong("q"), help: "Probability that a client takes part in a step.")
    var q: Double

    @Option(help: "Number of steps (rounds).")
    var steps: Int

    @Option(help: "Target delta.")
    var delta: Double

    @Flag(help: "Print JSON.")
    var json = false
}

/// Runs `body`, turning a rejected input into the command line's usage error (exit status 2).
private func rejectingBadInput<T>(_ body: () throws(PrivacyError) -> T) throws -> T {
    do throws(PrivacyError) { return try body() } catch { throw ValidationError(error.description) }
}

/// The `--json` line of `starling privacy`: ε (null when unbounded) with the order that gave it and the
/// inputs it was computed from.
private struct PrivacyReport: Encodable {
    let epsilon: Double
    let order: Double
    let q: Double
    let sigma: Double
    let steps: Int
    let delta: Double

    private enum CodingKeys: String, CodingKey { case epsilon, order, q, sigma, steps, delta }

    init(_ guarantee: PrivacyGuarantee, options: AccountedRunOptions, sigma: Double) {
        epsilon = guarantee.epsilon
        order = guarantee.order
        q = options.q
        self.sigma = sigma
        steps = options.steps
        delta = options.delta
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(epsilon.isFinite ? epsilon : nil, forKey: .epsilon)
        try container.encode(order, forKey: .order)
        try container.encode(q, forKey: .q)
        try container.encode(sigma, forKey: .sigma)
        try container.encode(steps, forKey: .steps)
        try container.encode(delta, forKey: .delta)
    }

    func printJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(self), as: UTF8.self))
    }
}

/// The (ε, δ) guarantee of `steps` steps at sampling rate `q` and noise multiplier `sigma`, with
/// bad input reported as a usage error.
private func accountedGuarantee(q: Double, sigma: Double, steps: Int, delta: Double) throws -> PrivacyGuarantee {
    try rejectingBadInput { () throws(PrivacyError) in
        try PrivacyAccountant.guarantee(
            of: [(SampledGaussianMechanism(samplingRate: q, noiseMultiplier: sigma), steps)], delta: delta)
    }
}
