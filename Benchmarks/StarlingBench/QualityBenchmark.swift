import Foundation
import Quantization
import StarlingCore
import StarlingProtocol

/// Starling's side of the learning-quality benchmark: for every dataset and partition that
/// Benchmarks/quality/make_datasets.py wrote, a federated run of at most 20 rounds with the defaults
/// of `starling round start` (and with FedAdam), through ``FederatedSimulation``. Prints one JSON
/// line per run in the peers' format, so Benchmarks/quality/report.py sets them side by side.
struct QualityBenchmark {
    let dataDirectory: URL
    let quick: Bool
    /// Local settings for a sweep (`--settings JSON`); the defaults of `starling round start` otherwise.
    var settings = FederatedSimulation.Settings()
    /// Server optimizers to run beside the defaults (`--strategies fedavg,fedadam`).
    var strategies: [ServerOptimizerKind] = [.fedavg, .fedadam]
    /// Datasets and partitions to run (all when empty).
    var datasets: [String] = []
    var partitions: [String] = []
    /// Runs per configuration, with seeds 0…seeds−1 for the model's initialisation and the shuffles;
    /// a dataset whose test set has fewer than ``smallTestSet`` rows runs four times as many, since one
    /// of its test rows moves the accuracy by a point or more (as quality_peers.sh does for Flower).
    var seeds = 1
    static let smallTestSet = 200
    /// A model to run instead of each dataset's own architecture (`--architecture-file`), with the
    /// name its lines carry (`starling-<name>-<strategy>`).
    var architecture: (name: String, architecture: ModelArchitecture)?

    static let datasets = ["digits", "breast_cancer", "wine", "images", "telemetry"]
    static let partitions = ["iid", "dirichlet0.5", "dirichlet0.1"].flatMap { scheme in
        [8, 32].map { "\(scheme)-\($0)" }
    }

    /// One run's result, in the line format the peers print.
    struct Line: Encodable {
        var bench = "quality"
        var dataset: String
        var partition: String
        var peer: String
        var accuracy: Double
        var rounds: Int
        var accuracyByRound: [Double]
        var diverged: Bool
        var divergedUpdates: Int
        var preprocessing: String
        var serverOptimizer: ServerOptimizerConfiguration
        var seed: Int
        /// With `--architecture-file`: the final model's accuracy from its int8 artifact.
        var int8Accuracy: Double?

        enum CodingKeys: String, CodingKey {
            case bench, dataset, partition, peer, accuracy, rounds, diverged, preprocessing
            case accuracyByRound = "accuracy_by_round"
            case divergedUpdates = "diverged_updates"
            case serverOptimizer = "server_optimizer"
            case seed
            case int8Accuracy = "int8_accuracy"
        }
    }

    /// The local settings as flower_peer.py's options, so that Flower trains each round as Starling does.
    static func flowerArguments(_ settings: FederatedSimulation.Settings) -> String {
        "--epochs \(settings.localEpochs) --batch-size \(settings.batchSize) --lr \(settings.learningRate) "
            + "--momentum \(settings.momentum)"
    }

    func run() throws {
        let rounds = quick ? 5 : 20
        let partitions =
            !self.partitions.isEmpty ? self.partitions : quick ? ["iid-8", "dirichlet0.1-32"] : Self.partitions
        // The defaults as shipped, then FedAvg and FedAdam (with the other defaults) to set beside
        // Flower's strategies of those names; a strategy equal to the defaults is not run twice.
        let strategies: [(String, ServerOptimizerConfiguration)] =
            [("default", settings.serverOptimizer)] + self.strategies.map { ($0.rawValue, .defaults(for: $0)) }
        for dataset in datasets.isEmpty ? Self.datasets : datasets {
            let folder = dataDirectory.appendingPathComponent(dataset)
            let (train, test, ownArchitecture) = try load(folder)
            let architecture = self.architecture?.architecture ?? ownArchitecture
            for partition in partitions {
                let devices = try split(train, by: folder.appendingPathComponent("partitions/\(partition).txt"))
                for seed in 0..<(test.count < Self.smallTestSet ? 4 * seeds : seeds) {
                    try run(
                        dataset, partition, devices: devices, test: test, architecture: architecture, rounds: rounds,
                        strategies: strategies, seed: seed)
                }
            }
        }
    }

    /// One dataset, partition and seed under every strategy.
    private func run(
        _ dataset: String, _ partition: String, devices: [Dataset], test: Dataset, architecture: ModelArchitecture,
        rounds: Int, strategies: [(String, ServerOptimizerConfiguration)], seed: Int
    ) throws {
        var outcomes: [(ServerOptimizerConfiguration, FederatedSimulation.Outcome)] = []
        for (name, optimizer) in strategies {
            let outcome =
                try outcomes.first { $0.0 == optimizer }?.1
                ?? FederatedSimulation(
                    architecture: architecture, devices: devices, test: test, rounds: rounds,
                    serverOptimizer: optimizer, settings: settings, seed: UInt64(seed)
                ).run()
            outcomes.append((optimizer, outcome))
            try emit(
                Line(
                    dataset: dataset, partition: partition,
                    peer: "starling-\(self.architecture.map { "\($0.name)-" } ?? "")\(name)",
                    accuracy: outcome.accuracyByRound.last ?? 0, rounds: outcome.accuracyByRound.count,
                    accuracyByRound: outcome.accuracyByRound, diverged: outcome.diverged,
                    divergedUpdates: outcome.divergedUpdates, preprocessing: outcome.preprocessing.summary,
                    serverOptimizer: optimizer, seed: seed,
                    int8Accuracy: try architecture == nil
                        ? nil : outcome.model.map { try Self.int8Accuracy(of: $0, outcome.preprocessing, on: test) }))
        }
    }

    /// Held-out accuracy of `model`'s int8 artifact, as devices would run it in phase one.
    private static func int8Accuracy(of model: Model, _ preprocessing: Preprocessing, on test: Dataset) throws
        -> Double
    {
        let classes = model.classCount
        let manifest = try ModelManifest(
            name: "quality", version: 1, architecture: model.architecture, labels: (0..<classes).map(String.init),
            preprocessing: preprocessing, confidenceThreshold: 0)
        let int8 = try Int8Bundle(quantizing: ModelBundle(manifest: manifest, model: model))
        let probabilities = int8.predict(features: test.features, rows: test.count)
        let correct = (0..<test.count).filter { row in
            let scores = probabilities[(row * classes)..<((row + 1) * classes)]
            return scores.indices.max { scores[$0] < scores[$1] }.map { $0 - row * classes } == test.labels[row]
        }
        return Double(correct.count) / Double(max(test.count, 1))
    }

    /// The train and test sets and the benchmark's architecture from a dataset's folder.
    private func load(_ folder: URL) throws -> (Dataset, Dataset, ModelArchitecture) {
        struct Meta: Decodable {
            var architecture: String
            var classes: Int
        }
        let meta = try JSONDecoder().decode(
            Meta.self, from: Data(contentsOf: folder.appendingPathComponent("meta.json")))
        let classes = (0..<meta.classes).map(String.init)
        let train = try CSVTable.load(contentsOf: folder.appendingPathComponent("train.csv"), labelColumn: "label")
        let test = try CSVTable.load(contentsOf: folder.appendingPathComponent("test.csv"), labelColumn: "label")
        return (
            try train.dataset(classes: classes), try test.dataset(classes: classes),
            try ModelArchitecture(parsing: meta.architecture)
        )
    }

    /// The training rows dealt to devices as the partition file says (one device index per row).
    private func split(_ train: Dataset, by file: URL) throws -> [Dataset] {
        let text = try String(contentsOf: file, encoding: .utf8)
        let owners = text.split(whereSeparator: \.isNewline).compactMap { Int($0) }
        guard owners.count == train.count else {
            throw QualityBenchmarkError("\(file.path) has \(owners.count) rows, the training set \(train.count)")
        }
        let devices = (owners.max() ?? -1) + 1
        var rows = [[Int]](repeating: [], count: devices)
        for (row, owner) in owners.enumerated() { rows[owner].append(row) }
        return rows.map { train.subset($0) }
    }

    private func emit(_ line: Line) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(line), as: UTF8.self))
        fflush(nil)
    }
}

/// A benchmark input that is not what make_datasets.py writes.
struct QualityBenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
