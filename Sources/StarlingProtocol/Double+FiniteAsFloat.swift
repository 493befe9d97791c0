extension Double {
    /// Whether this feature value stays a finite number as a `Float`, the type models compute in:
    /// JSON carries doubles, and 1e300 or 3.5e38 would become infinity (and NaN past it).
    public var isFiniteAsFloat: Bool { Float(self).isFinite }
}
