import ArgumentParser
import StarlingAdmin
import StarlingCore
import StarlingProtocol

/// `starling run …`: federated runs, each of one or more rounds. `starling round …` is the same
/// command under its former name.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Start and follow federated runs of rounds.",
        subcommands: [Start.self, Status.self],
        aliases: ["round"])

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a federated training run of R rounds and follow it until it ends.",
            discussion: """
                The defaults learn dependably on the datasets of the quality benchmark (docs/quality.md) with \
                a model created from a feature profile (starling model create --profile).
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The model to train.")
        var model: String

        @Option(help: "Start from this version (default: the newest).")
        var version: Int?

        @Option(help: "Updates that close a round.")
        var clients: Int

        @Option(
            help:
                "Invite ⌈clients × (1 + O)⌉ devices a round and close it at --clients updates, so stragglers do not hold it (0–1, default 0)."
        )
        var overSelect: Double = 0

        @Option(help: "Fewest updates a round accepts.")
        var minClients: Int

        @Option(help: "Local epochs per round (default \(RoundDefaults.localEpochs)).")
        var localEpochs: Int?

        @Option(help: "Local learning rate at the schedule's peak (default \(RoundDefaults.learningRate)).")
        var lr: Double?

        @Option(help: "Local momentum (default \(RoundDefaults.momentum)).")
        var momentum: Double?

        @Option(help: "Local batch size (default \(RoundDefaults.batchSize)).")
        var batchSize: Int?

        @OptionGroup(title: "Optimisation") var optimisation: OptimisationOptions

        @Option(help: "Number of consecutive rounds in the run.")
        var rounds: Int = 1

        @Option(help: "Seconds each round waits for updates.")
        var deadline: Double = 120

        @Option(help: "Only devices with these tags (key=value,…) take part.")
        var to: String = "all"

        @Option(help: "Seed of cohort selection and local shuffling.")
        var seed: UInt64 = 1

        @Flag(
            inversion: .prefixedNo,
            help: "Combine updates by secure aggregation (SecAgg+), so the aggregator sees only their sum.")
        var secagg = true

        @Option(help: "With secure aggregation: fewest devices that must stay to the end (default: a majority).")
        var secaggThreshold: Int?

        @Option(
            help:
                "With secure aggregation: split larger cohorts into groups of at least this many devices, each running SecAgg+ on its own; the aggregator learns each group's sum (default: one group)."
        )
        var secaggGroupSize: Int?

        @Option(
            help:
                "With secure aggregation: seconds each stage after key advertising waits for devices (default: a quarter of the deadline, 2 to 30)."
        )
        var secaggStageSeconds: Double?

        @Option(
            help:
                "With secure aggregation: a stage that has heard, in every group, from halfway between its threshold and all its devices closes once no device has answered for this many seconds (default: a tenth of the stage time, at least 0.5)."
        )
        var secaggQuietSeconds: Double?

        @Option(
            help:
                "Differential privacy: local (DP-SGD on each device), central (the aggregator noises the sum of clipped updates) or distributed (devices add noise under secure aggregation)."
        )
        var privacy: PrivacyMode?

        @Option(
            help:
                "With --privacy: ε over the whole run (local: per device and example; central, distributed: per device's data)."
        )
        var epsilon: Double?

        @Option(help: "With --privacy: δ.")
        var delta: Double = 1e-5

        @Option(
            help:
                "With --privacy: L2 bound on one example's gradient (local) or one device's update (central, distributed)."
        )
        var clipNorm: Double = 1

        @Option(
            help:
                "sync (each round's cohort trains from one version) or async (buffered, FedBuff: --clients devices train at any time, every --buffer updates make a version)."
        )
        var mode: RunMode = .sync

        @Option(
            help:
                "Seconds each device has to answer once its task is out; past it, a round with --min-clients updates closes without the silent ones (default: the whole --deadline)."
        )
        var deviceTimeout: Double?

        @Option(help: "With --mode async: the updates that make a version (under SecAgg+, the devices of a group).")
        var buffer: Int?

        @Option(help: "With --mode async: how many versions behind an update may be and still count (default 4).")
        var maxStaleness: Int?

        @Flag(help: "Return once the run is started instead of following it.")
        var detach = false

        func validate() throws {
            guard clients >= 1, minClients >= 1, minClients <= clients else {
                throw ValidationError("--min-clients must be between 1 and --clients")
            }
            guard overSelect.isFinite, (0...1).contains(overSelect) else {
                throw ValidationError("--over-select must be between 0 and 1")
            }
            if mode == .async {
                guard let buffer, buffer >= minClients else {
                    throw ValidationError("--mode async needs --buffer, at least --min-clients")
                }
                guard !secagg || clients >= buffer else {
                    throw ValidationError(
                        "--mode async with secure aggregation needs --clients at least --buffer: each buffer is a group of --buffer devices"
                    )
                }
            } else if buffer != nil || maxStaleness != nil {
                throw ValidationError("--buffer and --max-staleness need --mode async")
            }
            guard rounds >= 1, (localEpochs ?? 1) >= 1, (lr ?? 1) > 0, deadline > 0 else {
                throw ValidationError("--rounds, --local-epochs, --lr and --deadline must be positive")
            }
            if optimisation.aggregation != .mean, secagg {
                throw ValidationError(
                    "--aggregation \(optimisation.aggregation.rawValue) needs each device's own update, which secure aggregation hides; add --no-secagg"
                )
            }
            if privacy != nil {
                guard let epsilon, epsilon > 0, epsilon.isFinite else {
                    throw ValidationError("--privacy needs a positive --epsilon")
                }
                guard delta > 0, delta < 1, clipNorm > 0 else {
                    throw ValidationError("--delta must be in (0, 1) and --clip-norm positive")
                }
                guard privacy != .distributed || secagg else {
                    throw ValidationError(
                        "--privacy distributed needs secure aggregation; drop --no-secagg or use --privacy central")
                }
            } else if epsilon != nil {
                throw ValidationError("--epsilon needs --privacy")
            }
            if let secaggThreshold {
                guard secagg else { throw ValidationError("--secagg-threshold needs secure aggregation") }
                guard (1...clients).contains(secaggThreshold) else {
                    throw ValidationError("--secagg-threshold must be between 1 and --clients")
                }
            }
            if secaggGroupSize != nil, !secagg {
                throw ValidationError("--secagg-group-size needs secure aggregation")
            }
            if let secaggStageSeconds {
                guard secagg else { throw ValidationError("--secagg-stage-seconds needs secure aggregation") }
                guard secaggStageSeconds.isFinite, (1...600).contains(secaggStageSeconds) else {
                    throw ValidationError("--secagg-stage-seconds must be between 1 and 600")
                }
            }
            if let secaggQuietSeconds {
                guard secagg else { throw ValidationError("--secagg-quiet-seconds needs secure aggregation") }
                guard secaggQuietSeconds.isFinite,
                    StartRunRequest.secureAggregationQuietSecondsRange.contains(secaggQuietSeconds)
                else {
                    throw ValidationError("--secagg-quiet-seconds must be between 0.1 and 600")
                }
            }
        }

        func run() async throws {
            let request = StartRunRequest(
                model: model, baseVersion: version, clients: clients, minClients: minClients,
                localEpochs: localEpochs, learningRate: lr, momentum: momentum, batchSize: batchSize,
                rounds: rounds, deadlineSeconds: deadline, selector: try parseSelector(to), seed: seed,
                secureAggregation: secagg, secureAggregationThreshold: secaggThreshold,
                secureAggregationGroupSize: secaggGroupSize, secureAggregationStageSeconds: secaggStageSeconds,
                secureAggregationQuietSeconds: secaggQuietSeconds,
                privacy: privacy.map {
                    PrivacyRequest(mode: $0, epsilon: epsilon ?? 0, delta: delta, clipNorm: clipNorm)
                },
                learningRateSchedule: try optimisation.schedule(), gradientClipNorm: optimisation.clipGradNorm,
                weightDecay: optimisation.weightDecay, proximalMu: optimisation.proximalMu,
                serverOptimizer: optimisation.serverOptimizerConfiguration(), aggregation: try optimisation.rule(),
                evaluateEvery: optimisation.evaluateEvery, overSelection: overSelect, mode: mode, buffer: buffer,
                maxStaleness: maxStaleness, deviceTimeoutSeconds: deviceTimeout)
            let detach = detach
            let final = try await connection.withClient { client throws(AdminError) in
                let started = try await client.startRun(request)
                Console.print("started \(started.id)" + (started.secureAggregation ? " with secure aggregation" : ""))
                if detach { return started }
                var lastLine = ""
                return try await RunWatcher(client: client, runId: started.id).follow {
                    run, finished throws(AdminError) in
                    for round in finished {
                        Console.print(RunWatcher.roundLine(round, of: run))
                    }
                    let line = RunWatcher.progressLine(run)
                    if !run.state.isFinal, line != lastLine {
                        Console.print(line)
                        lastLine = line
                    }
                }
            }
            guard detach || final.state == .completed else {
                Console.error("\(final.id) \(final.state.rawValue): \(final.failureReason ?? "no reason given")")
                throw ExitCode(1)
            }
            if !detach {
                Console.print(
                    "\(final.id) completed: \(model) version \(final.rounds.last?.producedVersion.map(String.init) ?? "-")"
                )
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run's rounds, cohorts and versions.")

        @OptionGroup var connection: ConnectionOptions

        @Argument(help: "The run's id.")
        var id: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let run = try await connection.withClient { client throws(AdminError) in try await client.run(id: id) }
            if json {
                try Console.json(run)
                return
            }
            Console.print(
                "\(run.id): \(run.kind.rawValue) \(run.model), \(run.state.rawValue), \(run.rounds.count)/\(run.totalRounds) rounds, \(run.clients) clients (min \(run.minClients))"
                    + (run.state.isFinal ? "" : run.stage.map { ", now \($0.rawValue)" } ?? "")
            )
            for round in run.rounds {
                Console.print("  " + RunWatcher.roundLine(round, of: run))
                for failure in round.failedClients {
                    Console.print("    \(failure.device): \(failure.reason.rawValue), \(failure.detail)")
                }
            }
            if let evaluation = run.evaluation {
                for line in EvaluationView.lines(evaluation) { Console.print("  " + line) }
            }
            if let profile = run.profile { Console.print("  profile \(profile.name) version \(profile.version)") }
            if let reason = run.failureReason { Console.print("  failed: \(reason)") }
        }
    }
}

extension PrivacyMode: ExpressibleByArgument {}

extension RunMode: ExpressibleByArgument {}
