import StarlingCore

/// Deals a dataset to simulated devices the way real fleets see data: not independent and
/// identically distributed. Each device is dominated by two or three classes.
///
/// Device `i` favours classes `2i`, `2i+1` (mod the class count) and, for even `i`, `2i+2`. Each
/// sample goes, with probability `dominance`, to a device that favours its class, else to any device.
public struct DataDealer: Sendable {
    public var devices: Int
    public var classes: Int
    public var dominance: Double

    public init(devices: Int, classes: Int, dominance: Double = 0.85) {
        self.devices = devices
        self.classes = classes
        self.dominance = dominance
    }

    /// The classes device `index` favours.
    public func dominantClasses(of index: Int) -> Set<Int> {
        var favoured: Set<Int> = [(2 * index) % classes, (2 * index + 1) % classes]
        if index % 2 == 0 { favoured.insert((2 * index + 2) % classes) }
        return favoured
    }

    /// Row indices of `data` for each device; every row goes to exactly one device.
    public func deal(_ data: Dataset, seed: UInt64) -> [[Int]] {
        var rng = SeededRNG(seed: seed)
        let favouring: [[Int]] = (0..<classes).map { label in
            (0..<devices).filter { dominantClasses(of: $0).contains(label) }
        }
        var shares = [[Int]](repeating: [], count: devices)
        for row in 0..<data.count {
            let candidates = favouring[data.labels[row]]
            let device: Int
            if !candidates.isEmpty, Double.random(in: 0..<1, using: &rng) < dominance {
                device = candidates[Int.random(in: 0..<candidates.count, using: &rng)]
            } else {
                device = Int.random(in: 0..<devices, using: &rng)
            }
            shares[device].append(row)
        }
        return shares
    }
}
