import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// The demo's data, split three ways with a fixed seed: a held-out test set no device sees, a
/// "cloud" share the cloud application holds (it trains the phase-two refinement model), and the
/// devices' share, dealt to the agents. Preprocessing never comes from the cloud share: it is
/// chosen from the feature profile the devices' statistics make.
public struct DemoSplit: Sendable {
    public var featureNames: [String]
    public var labelColumn: String
    public var classes: [String]
    public var test: Dataset
    public var cloud: Dataset
    public var devices: Dataset

    public static let testFraction = 0.2
    public static let cloudFraction = 0.15

    /// Reads the CSV and splits it.
    public static func load(_ options: DemoOptions) throws(AdminError) -> DemoSplit {
        let table: CSVTable
        let all: Dataset
        do {
            table = try CSVTable.load(contentsOf: options.data, labelColumn: options.labelColumn)
            all = try table.dataset(classes: table.distinctLabels)
        } catch {
            throw .configuration("\(error)")
        }
        guard all.count >= 10 * options.agents else {
            throw .configuration(
                "\(options.data.lastPathComponent) has \(all.count) rows: the demo needs at least 10 per agent")
        }
        let (test, rest) = all.split(fraction: testFraction, seed: options.seed)
        let (cloud, devices) = rest.split(fraction: cloudFraction / (1 - testFraction), seed: options.seed &+ 1)
        return DemoSplit(
            featureNames: table.featureNames, labelColumn: options.labelColumn, classes: table.distinctLabels,
            test: test, cloud: cloud, devices: devices)
    }

    /// The create-model request for the federated model: its preprocessing is chosen from the
    /// feature profile the devices' statistics made, as an operator without data of their own does.
    public func modelRequest(name: String, architecture: String, seed: UInt64, profile: String) -> CreateModelRequest {
        CreateModelRequest(
            name: name, architecture: architecture, labels: classes, confidenceThreshold: 0.8, seed: seed,
            profile: profile,
            preprocess: .auto)
    }

    /// A wider fp32 model trained centrally on the cloud share, to answer phase two, with the
    /// preprocessing of the federated model.
    public func trainRefinementModel(name: String, seed: UInt64, preprocessing: Preprocessing) throws(AdminError)
        -> ModelBundle
    {
        do {
            let architecture = try ModelArchitecture(layerSizes: [featureNames.count, 128, classes.count])
            var model = MLP(architecture: architecture, seed: seed)
            _ = Trainer.train(
                &model, on: cloud, preprocessing: preprocessing,
                config: TrainingConfig(
                    epochs: 60, batchSize: 16, learningRate: 0.05, momentum: 0.9, seed: seed,
                    gradientClipNorm: Float(RoundDefaults.gradientClipNorm)))
            let manifest = try ModelManifest(
                name: name, version: 1, architecture: architecture, labels: classes, preprocessing: preprocessing,
                confidenceThreshold: 0)
            return try ModelBundle(manifest: manifest, model: .dense(model))
        } catch {
            throw .failed("cannot train the refinement model: \(error)")
        }
    }

    /// The rows of `shares` that the devices train on: each agent stores its share in order, with
    /// row ids from 1, and holds out the rows ``SampleSplit`` assigns to evaluation.
    public func trainingRows(of shares: [[Int]]) -> [Int] {
        shares.flatMap { share in
            share.enumerated().filter { SampleSplit.of(rowID: Int64($0.offset + 1)) == .train }.map(\.element)
        }
    }

    /// Held-out accuracy of `architecture` trained centrally on `rows` of the devices' share, for as
    /// many epochs as the federated run's rounds and local epochs give each row, with the same
    /// local settings and preprocessing chosen the same way from those rows' statistics.
    public func centralisedAccuracy(rows: [Int], architecture: String, epochs: Int, seed: UInt64) throws(AdminError)
        -> Double
    {
        do {
            let data = devices.subset(rows)
            var statistics = FeatureStatistics(width: data.featureCount, grid: .standard)
            statistics.add(features: data.features, rows: data.count)
            let preprocessing = Preprocessing.auto(
                from: try FeatureProfile(name: "centralised", version: 1, statistics: statistics, devices: 1))
            var model = Model(architecture: try ModelArchitecture(parsing: architecture), seed: seed)
            _ = Trainer.train(
                &model, on: data, preprocessing: preprocessing,
                config: TrainingConfig(
                    epochs: epochs, batchSize: RoundDefaults.batchSize, learningRate: Float(RoundDefaults.learningRate),
                    momentum: Float(RoundDefaults.momentum), seed: seed,
                    gradientClipNorm: Float(RoundDefaults.gradientClipNorm)))
            return Trainer.accuracy(of: model, on: test, preprocessing: preprocessing)
        } catch {
            throw .failed("cannot train the centralised reference: \(error)")
        }
    }

    /// Writes the devices' rows `rows` as a CSV with a header, for `starling-agent ingest`.
    public func writeCSV(rows: [Int], to url: URL) throws(AdminError) {
        var text = (featureNames + [labelColumn]).joined(separator: ",") + "\n"
        let width = devices.featureCount
        for row in rows {
            let values = devices.features[(row * width)..<((row + 1) * width)]
            text += values.map { String($0) }.joined(separator: ",")
            text += ",\(classes[devices.labels[row]])\n"
        }
        do {
            try AtomicFile.write(text, to: url)
        } catch {
            throw .configuration("\(error)")
        }
    }
}
