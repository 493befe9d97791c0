import StarlingCore

/// Who masks with whom and who holds whose shares: a Harary-style k-regular graph over a seeded
/// random ordering of the clients (each client is joined to the k/2 clients on either side of it
/// in the ordering), or the full graph when k = n − 1. Every party builds the same graph from the
/// parameters alone.
public struct NeighbourGraph: Sendable {
    /// Sorted neighbours of each client, without the client itself.
    public let neighbours: [[Int]]
    /// Sorted neighbourhood including the client: the holders of its shares, in share-point order.
    public let holders: [[Int]]

    public init(_ parameters: SecAggParameters) {
        let n = parameters.clientCount
        let k = parameters.neighbourCount
        var lists: [[Int]]
        if k >= n - 1 {
            lists = (0..<n).map { client in (0..<n).filter { $0 != client } }
        } else {
            var order = Array(0..<n)
            var rng = SeededRNG(seed: parameters.graphSeed)
            rng.shuffle(&order)
            lists = Array(repeating: [], count: n)
            // k < n − 1 here, so the k/2 steps either side never meet: the k clients are distinct.
            for position in 0..<n {
                var around: [Int] = []
                around.reserveCapacity(k)
                for step in 1...(k / 2) {
                    around.append(order[(position + step) % n])
                    around.append(order[(position - step + n) % n])
                }
                lists[order[position]] = around.sorted()
            }
        }
        neighbours = lists
        holders = lists.enumerated().map { client, list in (list + [client]).sorted() }
    }

    /// The GF(2^8) point at which `holder` holds shares of `owner`'s secrets, if it holds any.
    public func sharePoint(owner: Int, holder: Int) -> UInt8? {
        holders[owner].firstIndex(of: holder).map { UInt8($0 + 1) }
    }

    public func areNeighbours(_ a: Int, _ b: Int) -> Bool {
        neighbours[a].contains(b)
    }
}
