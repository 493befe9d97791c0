/// What the aggregator process that coordinates answers on `GET /v1/leader`: its name among the
/// replicas and the fencing epoch it leads in, so an operator or a load balancer sees which one
/// leads and that a takeover happened (the epoch grew).
public struct LeaderStatus: Codable, Sendable, Equatable {
    public var replica: String
    public var epoch: Int

    public init(replica: String, epoch: Int) {
        self.replica = replica
        self.epoch = epoch
    }
}
