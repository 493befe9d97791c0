/// One entry of a model's layer list as an operator writes it in `model.json`, e.g.
/// `{"type": "conv2d", "filters": 8, "kernel": [3, 3], "padding": [1]}`. Only the fields its type
/// uses are read; ``NetworkDescription/layout()`` checks them against the shape reaching the layer.
///
/// Types: `dense` (units), `conv2d` (filters, kernel, stride, padding, dilation), `conv1d` (the same
/// over a map of height 1, with 1-number kernel, stride and dilation and [left, right] padding),
/// `depthwise_conv2d` (multiplier, kernel, stride, padding, dilation), `max_pool` and `avg_pool`
/// (kernel, stride, padding; avg_pool's `count_padding`, default true), `global_avg_pool`,
/// `flatten`, `group_norm` (groups), `relu`, `relu6`.
public struct LayerDescription: Codable, Sendable, Equatable, Hashable {
    public var type: String
    public var name: String?
    public var units: Int?
    public var filters: Int?
    public var multiplier: Int?
    public var kernel: [Int]?
    public var stride: [Int]?
    public var padding: [Int]?
    public var dilation: [Int]?
    public var groups: Int?
    public var countPadding: Bool?

    public init(
        type: String, name: String? = nil, units: Int? = nil, filters: Int? = nil, multiplier: Int? = nil,
        kernel: [Int]? = nil, stride: [Int]? = nil, padding: [Int]? = nil, dilation: [Int]? = nil, groups: Int? = nil,
        countPadding: Bool? = nil
    ) {
        self.type = type
        self.name = name
        self.units = units
        self.filters = filters
        self.multiplier = multiplier
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        self.countPadding = countPadding
    }

    enum CodingKeys: String, CodingKey {
        case type, name, units, filters, multiplier, kernel, stride, padding, dilation, groups
        case countPadding = "count_padding"
    }
}
