import Foundation
import StarlingCore
import StarlingProtocol
import StarlingTransport

/// The demo's data, split three ways with a fixed seed: a held-out test set no device sees, a
/// "cloud" share the operator holds (standardisation statistics and the refinement model), and the
/// devices' share, dealt to the agents.
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
            throw .configuration("\(options.data.lastPathComponent) has \(all.count) rows: the demo needs at least 10 per agent")
        }
        let (test, rest) = all.split(fraction: testFraction, seed: options.seed)
        let (cloud, devices) = rest.split(fraction: cloudFraction / (1 - testFraction), seed: options.seed &+ 1)
        return DemoSplit(
            featureNames: table.featureNames, labelColumn: options.labelColumn, classes: table.distinctLabels,
            test: test, cloud: cloud, devices: devices)
    }

    /// The create-model request for the federated model, standardised with the cloud share's statistics.
    public func modelRequest(name: String, architecture: String, seed: UInt64) -> CreateModelRequest {
        let statistics = Standardization.fit(features: cloud.features, featureCount: cloud.featureCount)
        return CreateModelRequest(
            name: name, architecture: architecture, labels: classes,
            featureMean: statistics.mean.map(Double.init), featureStd: statistics.std.map(Double.init),
            confidenceThreshold: 0.8, seed: seed)
    }

    /// A wider fp32 model trained centrally on the cloud share, to answer phase two.
    public func trainRefinementModel(name: String, seed: UInt64) throws(AdminError) -> ModelBundle {
        do {
            let architecture = try ModelArchitecture(layerSizes: [featureNames.count, 128, classes.count])
            let preprocessing = Preprocessing(
                standardization: .fit(features: cloud.features, featureCount: cloud.featureCount))
            var model = MLP(architecture: architecture, seed: seed)
            _ = Trainer.train(
                &model, on: cloud, preprocessing: preprocessing,
                config: TrainingConfig(epochs: 60, batchSize: 16, learningRate: 0.05, momentum: 0.9, seed: seed))
            let manifest = try ModelManifest(
                name: name, version: 1, architecture: architecture, labels: classes,
                preprocessing: preprocessing, confidenceThreshold: 0)
            return try ModelBundle(manifest: manifest, model: model)
        } catch {
            throw .failed("cannot train the refinement model: \(error)")
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
