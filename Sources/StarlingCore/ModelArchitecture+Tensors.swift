extension ModelArchitecture {
    /// The names and shapes of the model's tensors in layer order, without building the model:
    /// what a bundle or an update for this architecture must carry.
    public var tensorShapes: [(name: String, shape: [Int])] {
        switch form {
        case .dense:
            return layers.flatMap { [($0.weightName, $0.weightShape), ($0.biasName, $0.biasShape)] }
        case .network(let layout):
            return layout.layers.filter { !$0.weightRange.isEmpty }.flatMap { placed in
                [(placed.weightName, placed.weightShape), (placed.biasName, [placed.biasRange.count])]
            }
        }
    }
}
