/// One line of `starling model predict`: the top class and every class's probability, in the
/// model's label order.
public struct RowPrediction: Codable, Sendable, Equatable {
    public var label: String
    public var probabilities: [Double]

    public init(label: String, probabilities: [Double]) {
        self.label = label
        self.probabilities = probabilities
    }
}
