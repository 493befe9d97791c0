import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingCore
import StarlingProtocol

/// `starling model …`: the model registry.
struct ModelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Manage models and their versions.",
        subcommands: [Create.self, Import.self, List.self, Versions.self, Alias.self, Predict.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a model; version 1 starts from seeded random weights.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The model's name.")
        var name: String

        @Option(help: "Layer widths, e.g. 64-32-10 (two widths: logistic regression).")
        var arch: String?

        @Option(
            help: ArgumentHelp(
                "A layer list in JSON: the input shape and the layers (convolutions, pooling, normalisation, dense).",
                valueName: "model.json"))
        var archFile: String?

        @Option(help: "Class names, comma-separated (default 0…k-1, or the CSV's labels).")
        var labels: String?

        @Option(help: "Phase-one answers below this confidence go to phase two.")
        var threshold: Double = 0.8

        @Option(help: "A feature profile (starling stats collect) the model's preprocessing is chosen from.")
        var profile: String?

        @Option(help: "With --profile: its version (default: the newest).")
        var profileVersion: Int?

        @Option(
            help:
                "With --profile: auto (a transform per feature from its statistics), zscore, minmax, log1p or identity."
        )
        var preprocess: PreprocessingKind?

        @Option(help: "A CSV whose feature statistics (and labels) the model standardises with.")
        var standardizeFrom: String?

        @Option(help: "The label column of --standardize-from.")
        var label: String = "label"

        @Option(help: "Seed of the initial weights.")
        var seed: UInt64 = 1

        func validate() throws {
            guard (arch == nil) != (archFile == nil) else { throw ValidationError("give --arch or --arch-file") }
            guard profile == nil || standardizeFrom == nil else {
                throw ValidationError("give --profile or --standardize-from, not both")
            }
            guard preprocess == nil || profile != nil else { throw ValidationError("--preprocess needs --profile") }
            guard profileVersion == nil || profile != nil else {
                throw ValidationError("--profile-version needs --profile")
            }
        }

        func run() async throws {
            let architecture = try await reportingErrors { () throws(AdminError) in
                try ModelArchitectureFile.read(arch: arch, file: archFile)
            }
            var request = CreateModelRequest(
                name: name, architecture: architecture.description, confidenceThreshold: threshold, seed: seed,
                profile: profile,
                profileVersion: profileVersion, preprocess: preprocess)
            request.labels = labels.map { $0.split(separator: ",").map(String.init) }
            if let standardizeFrom {
                let table = try await reportingErrors { () throws(AdminError) in
                    try loadTable(standardizeFrom, label: label)
                }
                let statistics = Standardization.fit(features: table.features, featureCount: table.featureNames.count)
                request.featureMean = statistics.mean.map(Double.init)
                request.featureStd = statistics.std.map(Double.init)
                if request.labels == nil { request.labels = table.distinctLabels }
            }
            let version = try await connection.withClient { client throws(AdminError) in
                try await client.createModel(request)
            }
            Console.print("created \(version.model) version \(version.version) (sha256 \(version.sha256.prefix(12)))")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List models.")

        @OptionGroup var connection: ConnectionOptions

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let models = try await connection.withClient { client throws(AdminError) in try await client.models() }
            if json {
                try Console.json(ModelList(models: models))
                return
            }
            var table = Table(header: ["MODEL", "ARCH", "LATEST", "THRESHOLD", "LABELS"])
            for model in models {
                table.rows.append([
                    model.name, ModelArchitectureFile.summary(model.architecture), String(model.latestVersion),
                    Format.fixed(model.confidenceThreshold, digits: 2),
                    model.labels.joined(separator: ","),
                ])
            }
            Console.print(table.render())
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a model's versions with lineage and metrics.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The model.")
        var model: String

        @Flag(help: "Print JSON.")
        var json = false

        func run() async throws {
            let versions = try await connection.withClient { client throws(AdminError) in
                try await client.versions(model: model)
            }
            if json {
                try Console.json(VersionList(versions: versions))
                return
            }
            var table = Table(header: [
                "VERSION", "SOURCE", "PARENT", "ROUND", "COHORT", "PRIVACY", "TRIGGER", "LOCAL ACC", "FED ACC",
                "FED LOSS", "SAMPLES", "SHA256",
            ])
            for version in versions {
                let lineage = version.lineage
                table.rows.append([
                    String(version.version), version.source.rawValue, lineage.parentVersion.map(String.init) ?? "-",
                    lineage.runId.map { "\($0)#\(lineage.round ?? 0)" } ?? "-",
                    lineage.cohortSize.map(String.init) ?? "-",
                    lineage.privacy.map { "\($0.mode.rawValue) ε=\(Format.fixed($0.epsilon)) δ=\($0.delta)" } ?? "-",
                    lineage.trigger.map { "alert \($0.alertId) (\($0.rule))" } ?? "-",
                    version.metrics.evalAccuracy.map { Format.fixed($0) } ?? "-",
                    version.evaluation.map { Format.fixed($0.figures.accuracy) } ?? "-",
                    version.evaluation.map { $0.figures.loss.map { Format.fixed($0) } ?? "clipped" } ?? "-",
                    version.evaluation.map { String($0.figures.samples) } ?? "-", String(version.sha256.prefix(12)),
                ])
            }
            Console.print(table.render())
        }
    }
}

/// Reads a CSV for a command, turning its error into a configuration error.
func loadTable(_ path: String, label: String) throws(AdminError) -> CSVTable {
    do {
        return try CSVTable.load(contentsOf: URL(fileURLWithPath: path), labelColumn: label)
    } catch {
        throw .configuration("\(error)")
    }
}

extension PreprocessingKind: ExpressibleByArgument {}
