import ArgumentParser
import StarlingAgent

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `starling-agent ingest`: add a CSV file of labelled samples to the agent's local store.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest", abstract: "Add labelled samples from a CSV file to the local store.")

    @Option(help: "The agent's data directory.")
    var dataDir: String

    @Option(help: "CSV file with a header row; every column but the label is a feature.")
    var csv: String

    @Option(help: "Name of the label column.")
    var label: String = "label"

    func run() async throws {
        do {
            let (accepted, total) = try await SampleIngest.ingest(
                csv: URL(fileURLWithPath: csv), labelColumn: label, dataDirectory: URL(fileURLWithPath: dataDir))
            print("ingested \(accepted) samples (total \(total))")
        } catch {
            throw CommandFailure(error.description)
        }
    }
}
