/// The running privacy cost of a training run: the Rényi divergences of everything composed so far, one
/// per order. Rényi divergences of a composition add up, so steps of one mechanism and events of
/// different mechanisms (say, rounds with a different cohort size or noise) all go into one curve, from
/// which ε for a δ, or δ for an ε, is read at the end.
public struct PrivacyAccountant: Hashable, Sendable {
    /// The Rényi orders α tracked.
    public let orders: [Double]
    /// The total Rényi divergence at each of ``orders``.
    public private(set) var rdp: [Double]

    /// An accountant with nothing composed yet; `orders` defaults to ``RenyiOrders/default``.
    public init(orders: [Double] = RenyiOrders.default) throws(PrivacyError) {
        guard RenyiOrders.areValid(orders) else { throw .invalidOrders }
        self.orders = orders
        self.rdp = Array(repeating: 0, count: orders.count)
    }

    /// Adds `steps` independent runs of `mechanism`.
    public mutating func compose(_ mechanism: SampledGaussianMechanism, steps: Int) throws(PrivacyError) {
        guard steps >= 0 else { throw .negativeSteps(steps) }
        guard steps > 0 else { return }
        for index in orders.indices {
            rdp[index] += Double(steps) * mechanism.rdp(order: orders[index])
        }
    }

    /// The smallest ε over the orders for which everything composed is (ε, δ)-DP.
    public func epsilon(delta: Double) throws(PrivacyError) -> PrivacyGuarantee {
        guard delta > 0, delta < 1 else { throw .deltaOutOfRange(delta) }
        return RDPConversion.epsilon(orders: orders, rdp: rdp, delta: delta)
    }

    /// The smallest δ over the orders for which everything composed is (ε, δ)-DP.
    public func delta(epsilon: Double) throws(PrivacyError) -> PrivacyGuarantee {
        guard epsilon > 0, epsilon.isFinite else { throw .nonPositiveEpsilon(epsilon) }
        return RDPConversion.delta(orders: orders, rdp: rdp, epsilon: epsilon)
    }
}

extension PrivacyAccountant {
    /// The guarantee at δ of running each (q, σ) mechanism for its number of steps, composed over
    /// the default orders: what a training run, a ledger of runs or a calibration step costs.
    public static func guarantee(
        of runs: [(mechanism: SampledGaussianMechanism, steps: Int)], delta: Double,
        orders: [Double] = RenyiOrders.default
    ) throws(PrivacyError) -> PrivacyGuarantee {
        var accountant = try PrivacyAccountant(orders: orders)
        for run in runs { try accountant.compose(run.mechanism, steps: run.steps) }
        return try accountant.epsilon(delta: delta)
    }
}
