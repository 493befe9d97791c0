import StarlingCore
import StarlingProtocol

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
        let rows = (0..<table.rowCount).map { row in
            SampleBatch.Sample(
                features: table.features[(row * width)..<((row + 1) * width)].map(Double.init),
                label: table.labels[row])
        }
        let store = try AgentStore(path: AgentPaths(dataDirectory: dataDirectory).database)
        let admission = SampleAdmission(width: try await store.lastFeatureCount() ?? width)
        var samples: [LabelledSample] = []
        for start in stride(from: 0, to: rows.count, by: SampleAdmission.maximumBatch) {
            do {
                samples += try admission.admit(
                    Array(rows[start..<min(start + SampleAdmission.maximumBatch, rows.count)]))
            } catch {
                throw AgentError.invalidCSV("rows \(start + 1) on: \(error.message)")
            }
        }
        let total = try await store.insert(samples)
        return (samples.count, total)
    }
}
