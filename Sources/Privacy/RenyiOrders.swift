/// The Rényi orders α at which an accountant tracks the divergence; ε is the best bound over them,
/// so the list decides how tight the result can be.
public enum RenyiOrders {
    /// dp-accounting's `DEFAULT_RDP_ORDERS`: 1.1, 1.2, … 10.9, then 11 … 63, 128, 256, 512 and 1024.
    /// The fractional ones are built as 1 + x/10, exactly as the library builds them, so the orders
    /// agree to the last bit.
    public static let `default`: [Double] =
        (1...99).map { 1 + Double($0) / 10 } + (11...63).map(Double.init) + [128, 256, 512, 1024]

    /// The integer orders 2 … `upper`, whose divergences are exact finite binomial sums.
    public static func integers(upTo upper: Int) -> [Double] {
        upper < 2 ? [] : (2...upper).map(Double.init)
    }

    /// The largest order accepted: an integer order α costs a sum of α terms, and orders beyond the
    /// default 1024 only matter for ε far below 0.01.
    public static let largest = 100_000.0

    /// Whether there is at least one order and every order lies in (1, ``largest``].
    static func areValid(_ orders: [Double]) -> Bool {
        !orders.isEmpty && orders.allSatisfy { $0 > 1 && $0 <= largest }
    }
}
