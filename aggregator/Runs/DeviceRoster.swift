/// Devices in the order they came, with each one's position at hand: a round's cohort, in the
/// order it was chosen, and the devices whose contributions arrived. Every watch and every
/// contribution asks whether its device is in such a list (and where), so at 10,000 devices a scan
/// for each was the aggregator's largest cost. Stored and compared as the plain list; the index is
/// rebuilt when a stored machine is read back.
struct DeviceRoster: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
    private(set) var devices: [String]
    /// Each device's first position in `devices`.
    private var positions: [String: Int]

    init(_ devices: [String]) {
        self.devices = devices
        positions = Dictionary(devices.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    init(arrayLiteral devices: String...) {
        self.init(devices)
    }

    var startIndex: Int { devices.startIndex }
    var endIndex: Int { devices.endIndex }
    subscript(position: Int) -> String { devices[position] }

    /// Whether `device` is in the list, without a scan.
    func contains(_ device: String) -> Bool { positions[device] != nil }

    /// Where `device` first stands in the list, without a scan.
    func firstIndex(of device: String) -> Int? { positions[device] }

    static func == (lhs: DeviceRoster, rhs: DeviceRoster) -> Bool { lhs.devices == rhs.devices }

    /// Adds `device` after those already in.
    mutating func append(_ device: String) {
        if positions[device] == nil { positions[device] = devices.count }
        devices.append(device)
    }

    /// Adds devices that came later (a buffered run's, or a group's) after those already in.
    static func += (list: inout DeviceRoster, later: [String]) {
        for device in later { list.append(device) }
    }
}

extension DeviceRoster: Codable {
    init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String].self))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(devices)
    }
}
