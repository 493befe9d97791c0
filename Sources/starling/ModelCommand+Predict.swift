import ArgumentParser
import StarlingAdmin
import StarlingProtocol

extension ModelCommand {
    /// `starling model predict`: offline predictions from a registry version, for checks by hand.
    struct Predict: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Predict every row of a CSV with a registry version; prints one JSON line per row.",
            discussion: """
                The CSV needs a header row; a column named 'label', if present, is ignored. Each line is \
                {"label":…,"probabilities":[…]}. With --int8 the version's int8 artifact answers, as on devices.
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "The model.")
        var model: String

        @Option(help: "The version (default: the newest).")
        var version: Int?

        @Option(help: "The CSV of feature rows.")
        var csv: String

        @Flag(help: "Use the int8 artifact devices run instead of the fp32 one.")
        var int8 = false

        func run() async throws {
            let rows = try await reportingErrors { () throws(AdminError) in try FeatureRows.load(path: csv) }
            let format: ArtifactFormat = int8 ? .int8 : .fp32
            let loaded = try await connection.withClient { client throws(AdminError) in
                try await OfflineModel.fetch(model: model, version: version, format: format, client: client)
            }
            let predictions = try await reportingErrors { () throws(AdminError) in try loaded.predict(rows) }
            for prediction in predictions { try Console.json(prediction) }
        }
    }
}
