/// The devices chosen for a round, in the order they were chosen, with each one's position at hand:
/// every watch and every contribution asks whether its device is in the cohort (and where), so at
/// 10,000 devices a scan of the list for each was the aggregator's largest cost. Stored and
/// compared as the plain list; the index is rebuilt when a stored machine is read back.
struct Cohort: Sendable, Equatable, RandomAccessCollection, ExpressibleByArrayLiteral {
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

    /// Whether `device` was chosen, without a scan.
    func contains(_ device: String) -> Bool { positions[device] != nil }

    /// Where `device` stands in the cohort, without a scan.
    func firstIndex(of device: String) -> Int? { positions[device] }

    static func == (lhs: Cohort, rhs: Cohort) -> Bool { lhs.devices == rhs.devices }

    /// Adds devices chosen later (a buffered run's, or a group's) after those already in.
    static func += (cohort: inout Cohort, chosen: [String]) {
        for device in chosen {
            if cohort.positions[device] == nil { cohort.positions[device] = cohort.devices.count }
            cohort.devices.append(device)
        }
    }
}

extension Cohort: Codable {
    init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode([String].self))
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(devices)
    }
}
