import StarlingAdmin
import StarlingProtocol

/// How a federated evaluation reads on a terminal: its figures, then its confusion matrix.
enum EvaluationView {
    static func lines(_ evaluation: FederatedEvaluation) -> [String] {
        let figures = evaluation.figures
        var lines = [
            "\(evaluation.model) version \(evaluation.version): accuracy \(Format.fixed(figures.accuracy)), "
                + "loss \(figures.loss.map { Format.fixed($0) } ?? "clipped on \(figures.lossClippedDevices) devices"), "
                + "\(figures.samples) held-out samples on \(evaluation.devices) devices"
        ]
        guard let confusion = figures.confusion else { return lines }
        lines.append("confusion (rows: true class, columns: predicted):")
        var table = Table(header: ["CLASS"] + confusion.indices.map(String.init))
        for (index, row) in confusion.enumerated() {
            table.rows.append([String(index)] + row.map(String.init))
        }
        lines.append(table.render())
        return lines
    }
}
