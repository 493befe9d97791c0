import Foundation

/// What `starling simulate` runs: how many in-process devices, the model and rounds, secure
/// aggregation and its groups, how many devices vanish in each round, and whether the aggregator's
/// device listener offers HTTP/2 (one connection a device) or HTTP/1.1 alone (two).
struct SimulationSettings: Sendable {
    var devices: Int
    var architecture: String
    var rounds: Int
    var secureAggregation: Bool
    var dropout: Double
    var groupSize: Int?
    var stageSeconds: Double
    var quietSeconds: Double?
    var http2: Bool
    var rowsPerDevice: Int
    var deadlineSeconds: Double
    var data: URL
    var labelColumn: String
    var seed: UInt64
    var workDirectory: URL?
    var keep: Bool
}
