import CBLAS

/// Thin, bounds-checked wrapper over OpenBLAS `cblas_sgemm` for row-major matrices.
enum BLAS {
    /// Whether an operand is used as stored or transposed.
    enum Transpose {
        case none
        case transposed

        var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
    }

    /// C ← α · op(A) · op(B) + β · C, all row-major, with op(A) m×k, op(B) k×n and C m×n.
    ///
    /// Leading dimensions follow from the storage: A is stored m×k (or k×m when transposed),
    /// B is stored k×n (or n×k when transposed). Buffer sizes are checked before calling BLAS.
    static func gemm(
        _ transposeA: Transpose,
        _ transposeB: Transpose,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafeBufferPointer<Float>,
        b: UnsafeBufferPointer<Float>,
        beta: Float,
        c: UnsafeMutableBufferPointer<Float>
    ) {
        precondition(m >= 0 && n >= 0 && k >= 0, "gemm dimensions must be non-negative")
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "gemm operand too small")
        guard m > 0, n > 0, k > 0,
            let aBase = a.baseAddress, let bBase = b.baseAddress, let cBase = c.baseAddress
        else { return }
        let lda = transposeA == .none ? k : m
        let ldb = transposeB == .none ? n : k
        cblas_sgemm(
            CblasRowMajor, transposeA.cblas, transposeB.cblas,
            blasint(m), blasint(n), blasint(k),
            alpha, aBase, blasint(lda), bBase, blasint(ldb),
            beta, cBase, blasint(n))
    }
}

extension UnsafeBufferPointer {
    /// The `count` elements starting at `offset`, as a buffer (no copy).
    func slice(_ offset: Int, _ count: Int) -> UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(rebasing: self[offset..<(offset + count)])
    }
}

extension UnsafeMutableBufferPointer {
    /// The `count` elements starting at `offset`, as a buffer (no copy).
    func slice(_ offset: Int, _ count: Int) -> UnsafeMutableBufferPointer<Element> {
        UnsafeMutableBufferPointer(rebasing: self[offset..<(offset + count)])
    }
}
