/// Feature statistics as a safetensors file, for rounds without secure aggregation: a device
/// uploads its own statistics and the aggregator checks them before they count.
///
/// Tensors: `counts` and `rejected` [D] I64, `sums` and `sums_of_squares` [D] F64, `buckets`
/// [D, B] I64; metadata `rows`. The grid is the collection's, so it does not travel.
extension FeatureStatistics {
    public func safetensors() -> [UInt8] {
        let width = self.width
        let tensors: [String: SafetensorsTensor] = [
            "counts": SafetensorsTensor(dtype: .i64, shape: [width], data: counts.map(Int64.init).littleEndianBytes()),
            "rejected": SafetensorsTensor(
                dtype: .i64, shape: [width], data: rejectedValues.map(Int64.init).littleEndianBytes()),
            "sums": SafetensorsFile.float64(shape: [width], values: sums),
            "sums_of_squares": SafetensorsFile.float64(shape: [width], values: sumsOfSquares),
            "buckets": SafetensorsTensor(
                dtype: .i64, shape: [width, grid.bucketCount], data: bucketCounts.map(Int64.init).littleEndianBytes()),
        ]
        return SafetensorsFile(tensors: tensors, metadata: ["rows": String(rows)]).encoded()
    }

    /// Decodes one device's statistics of `width` features on `grid`, refusing anything that is not
    /// exactly that layout, any non-finite or negative sum, counts beyond `maximumRows`, and counts
    /// that do not agree with each other (see the validating initializer).
    public init(safetensors bytes: [UInt8], width: Int, grid: LogBucketGrid, maximumRows: Int)
        throws(FeatureStatisticsError)
    {
        let file: SafetensorsFile
        do {
            file = try SafetensorsFile(decoding: bytes)
        } catch {
            throw .invalidStatistics("not a safetensors file: \(error)")
        }
        guard let rowsText = file.metadata["rows"], let rows = Int(rowsText), (0...maximumRows).contains(rows) else {
            throw .invalidStatistics("metadata 'rows' must be an integer in 0…\(maximumRows)")
        }
        let expected: [String: (SafetensorsDType, [Int])] = [
            "counts": (.i64, [width]), "rejected": (.i64, [width]), "sums": (.f64, [width]),
            "sums_of_squares": (.f64, [width]), "buckets": (.i64, [width, grid.bucketCount]),
        ]
        guard Set(file.tensors.keys) == Set(expected.keys) else {
            throw .invalidStatistics(
                "the tensors must be exactly \(expected.keys.sorted()), got \(file.tensors.keys.sorted())")
        }
        for (name, (dtype, shape)) in expected {
            guard let tensor = file.tensors[name], tensor.dtype == dtype, tensor.shape == shape else {
                throw .invalidStatistics("tensor '\(name)' must be \(dtype.rawValue) of shape \(shape)")
            }
        }
        func integers(_ name: String) throws(FeatureStatisticsError) -> [Int] {
            let values = (file.tensors[name]?.data ?? []).decodeLittleEndian(Int64.self)
            guard values.allSatisfy({ (0...Int64(maximumRows)).contains($0) }) else {
                throw .invalidStatistics("tensor '\(name)' holds a count outside 0…\(maximumRows)")
            }
            return values.map { Int($0) }
        }
        func reals(_ name: String) -> [Double] {
            (file.tensors[name]?.data ?? []).decodeLittleEndian(UInt64.self).map { Double(bitPattern: $0) }
        }
        try self.init(
            width: width, grid: grid, rows: rows, counts: try integers("counts"),
            rejectedValues: try integers("rejected"),
            sums: reals("sums"), sumsOfSquares: reals("sums_of_squares"), bucketCounts: try integers("buckets"))
    }
}
