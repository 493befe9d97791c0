import StarlingCore

/// Who masks with whom and who holds whose shares: a Harary-style k-regular graph over a seeded
/// random ordering of the clients (each client is joined to the k/2 clients on either side of it
/// in the ordering), or the full graph when k = n − 1. Every party builds the same graph from the
/// parameters alone.
///
/// The graph keeps the ordering only, and answers from it: a client asks about its own
/// neighbourhood, and a process of many simulated clients builds one graph per client: writing
/// out every client's neighbour list (2n arrays) for each was 2.6 % of a simulated fleet's CPU.
public struct NeighbourGraph: Sendable {
    private let clientCount: Int
    /// Clients on either side of a client in the ordering that are its neighbours.
    private let reach: Int
    /// The seeded random ordering of the clients, and each client's place in it; empty for the
    /// full graph.
    private let order: [Int]
    private let place: [Int]

    public init(_ parameters: SecAggParameters) {
        clientCount = parameters.clientCount
        reach = parameters.neighbourCount / 2
        guard parameters.neighbourCount < clientCount - 1 else {
            order = []
            place = []
            return
        }
        var order = Array(0..<clientCount)
        var rng = SeededRNG(seed: parameters.graphSeed)
        rng.shuffle(&order)
        var place = [Int](repeating: 0, count: clientCount)
        for (position, client) in order.enumerated() { place[client] = position }
        self.order = order
        self.place = place
    }

    private var isFull: Bool { order.isEmpty }

    /// The sorted neighbours of `client`, without the client itself.
    public func neighbours(of client: Int) -> [Int] {
        guard (0..<clientCount).contains(client) else { return [] }
        guard !isFull else { return (0..<clientCount).filter { $0 != client } }
        return around(client).sorted()
    }

    /// The neighbours of `client` in a sparse graph, unsorted: the `reach` clients on either side of
    /// it in the ordering. k < n − 1 there, so the steps either side never meet: they are distinct.
    private func around(_ client: Int) -> [Int] {
        let position = place[client]
        var around: [Int] = []
        around.reserveCapacity(2 * reach)
        for step in stride(from: 1, through: reach, by: 1) {
            around.append(order[(position + step) % clientCount])
            around.append(order[(position - step + clientCount) % clientCount])
        }
        return around
    }

    /// The sorted neighbourhood of `client` including itself: the holders of its shares, in
    /// share-point order.
    public func holders(of client: Int) -> [Int] {
        guard (0..<clientCount).contains(client) else { return [] }
        var holders = neighbours(of: client)
        holders.insert(client, at: holders.firstIndex { $0 > client } ?? holders.count)
        return holders
    }

    /// The GF(2^8) point at which `holder` holds shares of `owner`'s secrets, if it holds any: one
    /// more than the number of `owner`'s holders numbered below it.
    public func sharePoint(owner: Int, holder: Int) -> UInt8? {
        guard holder == owner ? (0..<clientCount).contains(owner) : areNeighbours(owner, holder) else { return nil }
        guard !isFull else { return UInt8(exactly: holder + 1) }
        let below = around(owner).count { $0 < holder } + (owner < holder ? 1 : 0)
        return UInt8(exactly: below + 1)
    }

    /// Whether `a` and `b` are distinct clients of the graph joined by an edge: at most k/2 apart
    /// around the ordering.
    public func areNeighbours(_ a: Int, _ b: Int) -> Bool {
        guard a != b, (0..<clientCount).contains(a), (0..<clientCount).contains(b) else { return false }
        guard !isFull else { return true }
        let apart = abs(place[a] - place[b])
        return min(apart, clientCount - apart) <= reach
    }
}
