import StarlingCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Feeds a CSV file of labelled samples into the store: what `starling-agent ingest` does.
public enum SampleIngest {
    /// Loads `csv` (every column but `labelColumn` a feature) into the store in `dataDirectory`.
    /// Returns how many samples were added and how many the store now holds.
    public static func ingest(csv: URL, labelColumn: String, dataDirectory: URL) async throws(AgentError)
        -> (accepted: Int, total: Int)
    {
        let table: CSVTable
        do {
            table = try CSVTable.load(contentsOf: csv, labelColumn: labelColumn)
        } catch {
            throw .invalidCSV(error.description)
        }
        let width = table.featureNames.count
        let samples = (0..<table.rowCount).map { row in
            LabelledSample(
                features: Array(table.features[(row * width)..<((row + 1) * width)]), label: table.labels[row])
        }
        let store = try AgentStore(path: AgentPaths(dataDirectory: dataDirectory).database)
        let total = try await store.insert(samples)
        return (samples.count, total)
    }
}
