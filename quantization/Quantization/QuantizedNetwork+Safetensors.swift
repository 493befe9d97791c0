import StarlingCore

extension QuantizedNetwork {
    /// Per int8 layer "layers.{i}.weight" I8 (dense [outputs, inputs], convolution [filters,
    /// kernel height, kernel width, input channels], depthwise [channels, kernel height, kernel
    /// width]), "layers.{i}.weight_scale" F32 [rows] and "layers.{i}.bias" F32; group
    /// normalisation's "layers.{i}.weight" (gamma) and "layers.{i}.bias" (beta) F32 [channels].
    func encode(into tensors: inout [String: SafetensorsTensor]) {
        let placedByIndex = Dictionary(uniqueKeysWithValues: layout.layers.map { ($0.index, $0) })
        for layer in layers {
            let prefix = "layers.\(layer.index)."
            tensors[prefix + "bias"] = SafetensorsFile.float32(Tensor(shape: [layer.bias.count], values: layer.bias))
            switch layer.weight {
            case .int8(let matrix):
                let shape = placedByIndex[layer.index].map(Self.int8Shape) ?? [matrix.rows, matrix.columns]
                tensors[prefix + "weight"] = SafetensorsTensor(
                    dtype: .i8, shape: shape, data: matrix.values.map { UInt8(bitPattern: $0) })
                tensors[prefix + "weight_scale"] = SafetensorsFile.float32(
                    Tensor(shape: [matrix.rows], values: matrix.scales))
            case .float(let values):
                tensors[prefix + "weight"] = SafetensorsFile.float32(Tensor(shape: [values.count], values: values))
            }
        }
    }

    /// Reads the layers `layout` needs from an int8 artifact; a missing, extra, mistyped or
    /// misshapen tensor, or a scale that is not positive and finite, is refused by name.
    init(layout: NetworkLayout, decoding file: SafetensorsFile) throws(QuantizationError) {
        var layers: [Layer] = []
        var expected: Set<String> = []
        for placed in layout.layers where !placed.weightRange.isEmpty {
            let prefix = "layers.\(placed.index)."
            let bias = try Int8Bundle.floats(prefix + "bias", shape: [placed.biasRange.count], in: file)
            expected.formUnion([prefix + "weight", prefix + "bias"])
            guard let rows = Self.int8Rows(placed) else {
                let gamma = try Int8Bundle.floats(prefix + "weight", shape: [placed.weightRange.count], in: file)
                layers.append(Layer(index: placed.index, weight: .float(gamma), bias: bias))
                continue
            }
            expected.insert(prefix + "weight_scale")
            let matrix = try Int8Bundle.perChannelInt8(
                prefix, rows: rows, columns: placed.weightRange.count / rows, shape: Self.int8Shape(placed), in: file)
            layers.append(Layer(index: placed.index, weight: .int8(matrix), bias: bias))
        }
        if let unexpected = file.tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw .model(.unexpectedTensor(unexpected))
        }
        self.init(layout: layout, checkedLayers: layers)
    }

    /// The stored shape of an int8 weight: the float layer's, except depthwise, which is channel-major.
    private static func int8Shape(_ placed: PlacedLayer) -> [Int] {
        switch placed.layer {
        case .depthwise(let layer): [layer.output.channels, layer.window.kernelHeight, layer.window.kernelWidth]
        default: placed.weightShape
        }
    }
}
