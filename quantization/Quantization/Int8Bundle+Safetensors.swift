import StarlingCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension Int8Bundle {
    /// safetensors: per dense layer "layers.{l}.weight" I8 [out,in], "layers.{l}.weight_scale" F32
    /// [out], "layers.{l}.bias" F32 [out], optional "layers.{l}.input_scale" F32 [1] (static); a layer
    /// network's layers as ``QuantizedNetwork`` lays them out; __metadata__ "starling.manifest" (same
    /// as ModelBundle) and "starling.quantization" ("dynamic"|"static"). Deterministic bytes (sorted
    /// names and keys).
    public func encoded() -> [UInt8] {
        var tensors: [String: SafetensorsTensor] = [:]
        switch weights {
        case .dense(let layers): Self.encode(layers, into: &tensors)
        case .network(let network): network.encode(into: &tensors)
        }
        let metadata = [
            ModelBundle.manifestMetadataKey: Self.manifestJSON(manifest),
            Self.quantizationMetadataKey: activationQuantization.rawValue,
        ]
        return SafetensorsFile(tensors: tensors, metadata: metadata).encoded()
    }

    private static func encode(_ layers: [Int8Layer], into tensors: inout [String: SafetensorsTensor]) {
        for (index, layer) in layers.enumerated() {
            let prefix = "layers.\(index)."
            let bytes = layer.weight.values.map { UInt8(bitPattern: $0) }
            tensors[prefix + "weight"] = SafetensorsTensor(
                dtype: .i8, shape: [layer.outputs, layer.inputs], data: bytes)
            tensors[prefix + "weight_scale"] = SafetensorsFile.float32(
                Tensor(shape: [layer.outputs], values: layer.weight.scales))
            tensors[prefix + "bias"] = SafetensorsFile.float32(Tensor(shape: [layer.outputs], values: layer.bias))
            if let scale = layer.inputScale {
                tensors[prefix + "input_scale"] = SafetensorsFile.float32(Tensor(shape: [1], values: [scale]))
            }
        }
    }

    /// Decodes and validates an int8 bundle written by `encoded()`.
    public init(decoding bytes: [UInt8]) throws(QuantizationError) {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(decoding: bytes)
        } catch {
            throw .safetensors(error)
        }
        guard let json = file.metadata[ModelBundle.manifestMetadataKey] else {
            throw .invalidBundle("the metadata has no '\(ModelBundle.manifestMetadataKey)' entry")
        }
        let manifest: ModelManifest
        do {
            manifest = try JSONDecoder().decode(ModelManifest.self, from: Data(json.utf8))
        } catch {
            throw .invalidBundle("the manifest is not valid: \(error)")
        }
        guard let scheme = file.metadata[Self.quantizationMetadataKey].flatMap(ActivationQuantization.init(rawValue:))
        else {
            throw .invalidBundle("'\(Self.quantizationMetadataKey)' must be \"dynamic\" or \"static\"")
        }
        switch manifest.architecture.form {
        case .dense(let sizes, _):
            self.init(
                manifest: manifest, weights: .dense(try Self.decodeDense(sizes: sizes, scheme: scheme, from: file)))
        case .network(let layout):
            guard scheme == .dynamic else {
                throw .invalidBundle("a layer network's activations are quantized at run time ('dynamic')")
            }
            self.init(manifest: manifest, weights: .network(try QuantizedNetwork(layout: layout, decoding: file)))
        }
    }

    private static func decodeDense(sizes: [Int], scheme: ActivationQuantization, from file: SafetensorsFile)
        throws(QuantizationError) -> [Int8Layer]
    {
        var layers: [Int8Layer] = []
        var expected: Set<String> = []
        for index in 0..<(sizes.count - 1) {
            let layer = try decodeLayer(
                index, inputs: sizes[index], outputs: sizes[index + 1], scheme: scheme, from: file)
            expected.formUnion(["weight", "weight_scale", "bias"].map { "layers.\(index).\($0)" })
            if scheme == .calibrated { expected.insert("layers.\(index).input_scale") }
            layers.append(layer)
        }
        if let unexpected = file.tensors.keys.sorted().first(where: { !expected.contains($0) }) {
            throw .model(.unexpectedTensor(unexpected))
        }
        return layers
    }

    private static func decodeLayer(
        _ index: Int, inputs: Int, outputs: Int, scheme: ActivationQuantization, from file: SafetensorsFile
    ) throws(QuantizationError) -> Int8Layer {
        let prefix = "layers.\(index)."
        let values = try perChannelInt8(prefix, rows: outputs, columns: inputs, shape: [outputs, inputs], in: file)
        let bias = try floats(prefix + "bias", shape: [outputs], in: file)
        var inputScale: Float?
        if scheme == .calibrated {
            let scale = try floats(prefix + "input_scale", shape: [1], in: file)[0]
            guard scale.isFinite, scale > 0 else {
                throw .invalidBundle("'\(prefix)input_scale' must be a positive finite scale")
            }
            inputScale = scale
        }
        return Int8Layer(weight: values, bias: bias, inputScale: inputScale)
    }

    /// "`prefix`weight", I8 of `shape` holding `rows` × `columns` values, with its positive finite
    /// "`prefix`weight_scale" per row.
    static func perChannelInt8(
        _ prefix: String, rows: Int, columns: Int, shape: [Int], in file: SafetensorsFile
    ) throws(QuantizationError) -> PerChannelInt8 {
        guard let weight = file.tensors[prefix + "weight"] else { throw .model(.missingTensor(prefix + "weight")) }
        guard weight.dtype == .i8 else {
            throw .invalidBundle("'\(prefix)weight' has dtype \(weight.dtype.rawValue), expected I8")
        }
        guard weight.shape == shape else {
            throw .model(.tensorShapeMismatch(name: prefix + "weight", expected: shape, actual: weight.shape))
        }
        let scales = try floats(prefix + "weight_scale", shape: [rows], in: file)
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw .invalidBundle("'\(prefix)weight_scale' must hold positive finite scales")
        }
        return PerChannelInt8(
            rows: rows, columns: columns, values: weight.data.map { Int8(bitPattern: $0) }, scales: scales)
    }

    static func floats(_ name: String, shape: [Int], in file: SafetensorsFile) throws(QuantizationError)
        -> [Float]
    {
        let tensor: Tensor
        do {
            tensor = try file.floatTensor(name)
        } catch .tensorNotFound {
            throw .model(.missingTensor(name))
        } catch {
            throw .safetensors(error)
        }
        guard tensor.shape == shape else {
            throw .model(.tensorShapeMismatch(name: name, expected: shape, actual: tensor.shape))
        }
        return tensor.values
    }

    /// The manifest as compact JSON with sorted keys, as `ModelBundle` writes it.
    static func manifestJSON(_ manifest: ModelManifest) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding a validated manifest of strings and finite numbers cannot fail.
        guard let data = try? encoder.encode(manifest) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
