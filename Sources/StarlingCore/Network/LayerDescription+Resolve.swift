extension LayerDescription {
    /// The name errors use: the description's own, else its type and place, e.g. `conv2d#3`.
    /// A type too long to be one is not repeated: `layer#3`.
    func displayName(_ index: Int) -> String {
        name ?? (type.utf8.count <= Self.maximumNameLength ? "\(type)#\(index)" : "layer#\(index)")
    }

    /// The longest layer name a description may give, in UTF-8 bytes.
    public static let maximumNameLength = 64

    /// The shape this layer gives `input` (a flat row when `isFlat`), checked as ``NetworkDescription/layout()``
    /// checks it: lets an importer follow shapes as it reads a graph layer by layer.
    public func output(index: Int, input: FeatureMapShape, isFlat: Bool) throws(LayerShapeError) -> (
        shape: FeatureMapShape, isFlat: Bool
    ) {
        let resolved = try resolve(index: index, input: input, isFlat: isFlat)
        return (resolved.output, resolved.isFlat)
    }

    /// The checked layer for `input`, its output shape, and whether the output is a flat row.
    func resolve(index: Int, input: FeatureMapShape, isFlat: Bool) throws(LayerShapeError) -> (
        layer: NetworkLayer, output: FeatureMapShape, isFlat: Bool
    ) {
        if let name, name.isEmpty || name.utf8.count > Self.maximumNameLength || name.contains(where: \.isNewline) {
            throw LayerShapeError(
                layer: "layer#\(index)",
                reason: "its name must be 1 to \(Self.maximumNameLength) bytes on one line")
        }
        let name = displayName(index)
        func needsMap() throws(LayerShapeError) {
            guard !isFlat else {
                throw LayerShapeError(
                    layer: name,
                    reason: "a \(type) layer needs a feature map, but its input is a flat row of \(input.count) values")
            }
        }
        func required(_ value: Int?, _ field: String) throws(LayerShapeError) -> Int {
            guard let value else { throw LayerShapeError(layer: name, reason: "a \(type) layer needs '\(field)'") }
            return value
        }
        switch type {
        case "dense":
            guard isFlat || (input.height == 1 && input.width == 1) else {
                throw LayerShapeError(
                    layer: name,
                    reason:
                        "a dense layer needs a flat input, but its input is the map \(input); add a flatten layer before it"
                )
            }
            let layer = try FullyConnected(name: name, inputs: input.count, outputs: required(units, "units"))
            return (.dense(layer), FeatureMapShape(height: 1, width: 1, channels: layer.outputs), true)
        case "conv2d", "conv1d":
            try needsMap()
            let window = try self.window(name: name, input: input, oneDimensional: type == "conv1d", defaultStride: nil)
            let layer = try Convolution(
                name: name, input: input, outputChannels: required(filters, "filters"), window: window)
            return (.convolution(layer), layer.output, false)
        case "depthwise_conv2d":
            try needsMap()
            let window = try self.window(name: name, input: input, oneDimensional: false, defaultStride: nil)
            let layer = try DepthwiseConvolution(name: name, input: input, multiplier: multiplier ?? 1, window: window)
            return (.depthwise(layer), layer.output, false)
        case "max_pool":
            try needsMap()
            let window = try self.window(name: name, input: input, oneDimensional: false, defaultStride: kernel)
            let layer = try MaxPooling(name: name, input: input, window: window)
            return (.maxPooling(layer), layer.output, false)
        case "avg_pool":
            try needsMap()
            let window = try self.window(name: name, input: input, oneDimensional: false, defaultStride: kernel)
            let layer = try AveragePooling(
                name: name, input: input, window: window, countsPadding: countPadding ?? true)
            return (.averagePooling(layer), layer.output, false)
        case "global_avg_pool":
            try needsMap()
            let layer = try GlobalAveragePooling(name: name, input: input)
            return (.globalAveragePooling(layer), layer.output, true)
        case "group_norm":
            try needsMap()
            let layer = try GroupNormalization(name: name, shape: input, groups: required(groups, "groups"))
            return (.groupNormalization(layer), input, false)
        case "flatten":
            try needsMap()
            return (.flatten, FeatureMapShape(height: 1, width: 1, channels: input.count), true)
        case "relu", "relu6":
            return (.rectifier(type == "relu" ? .relu : .relu6), input, isFlat)
        default:
            throw LayerShapeError(
                layer: name,
                reason:
                    "'\(type.prefix(Self.maximumNameLength))' is not a layer type (dense, conv2d, conv1d, depthwise_conv2d, max_pool, avg_pool, "
                    + "global_avg_pool, flatten, group_norm, relu, relu6)")
        }
    }

    /// The window from kernel, stride, padding and dilation. A 2-D kernel is [height, width] or [k]
    /// for k×k; padding is [all], [vertical, horizontal] or [top, left, bottom, right]. A 1-D layer
    /// takes one number each and padding [both] or [left, right], over a map of height 1.
    private func window(name: String, input: FeatureMapShape, oneDimensional: Bool, defaultStride: [Int]?)
        throws(LayerShapeError)
        -> Window2D
    {
        guard let kernel else { throw LayerShapeError(layer: name, reason: "a \(type) layer needs 'kernel'") }
        if oneDimensional {
            guard input.height == 1 else {
                throw LayerShapeError(
                    layer: name, reason: "a conv1d layer needs a signal (a map of height 1), but its input is \(input)")
            }
            let size = try single(kernel, "kernel", name)
            let step = try single(self.stride ?? [1], "stride", name)
            let spread = try single(self.dilation ?? [1], "dilation", name)
            let sides = self.padding ?? [0]
            guard sides.count == 1 || sides.count == 2 else {
                throw LayerShapeError(layer: name, reason: "its padding \(sides) must be [both] or [left, right]")
            }
            return .oneDimensional(
                kernel: size, stride: step, paddingLeft: sides[0], paddingRight: sides[sides.count - 1],
                dilation: spread)
        }
        let size = try pair(kernel, "kernel", name)
        let step = try pair(self.stride ?? defaultStride ?? [1], "stride", name)
        let spread = try pair(self.dilation ?? [1], "dilation", name)
        let sides = self.padding ?? [0]
        let zeros: Padding2D
        switch sides.count {
        case 1: zeros = Padding2D(sides[0])
        case 2: zeros = Padding2D(top: sides[0], left: sides[1], bottom: sides[0], right: sides[1])
        case 4: zeros = Padding2D(top: sides[0], left: sides[1], bottom: sides[2], right: sides[3])
        default:
            throw LayerShapeError(
                layer: name,
                reason: "its padding \(sides) must be [all], [vertical, horizontal] or [top, left, bottom, right]")
        }
        return Window2D(
            kernelHeight: size.0, kernelWidth: size.1, strideHeight: step.0, strideWidth: step.1, padding: zeros,
            dilationHeight: spread.0, dilationWidth: spread.1)
    }

    private func single(_ values: [Int], _ field: String, _ name: String) throws(LayerShapeError) -> Int {
        guard values.count == 1 else {
            throw LayerShapeError(layer: name, reason: "its \(field) \(values) must be one number")
        }
        return values[0]
    }

    private func pair(_ values: [Int], _ field: String, _ name: String) throws(LayerShapeError) -> (Int, Int) {
        switch values.count {
        case 1: return (values[0], values[0])
        case 2: return (values[0], values[1])
        default: throw LayerShapeError(layer: name, reason: "its \(field) \(values) must be [both] or [height, width]")
        }
    }
}
