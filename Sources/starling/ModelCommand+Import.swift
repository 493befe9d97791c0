import ArgumentParser
import StarlingAdmin

extension ModelCommand {
    /// `starling model import`: a Starling safetensors bundle, or an ONNX graph converted locally.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a Starling safetensors bundle, or an MLP-shaped ONNX model, as a new version.")

        @OptionGroup var connection: ConnectionOptions

        @Option(help: "A safetensors file (weights with the manifest in __metadata__).")
        var safetensors: String?

        @Option(help: "An ONNX model (Gemm/MatMul/Add with Relu, Sigmoid or Tanh, Softmax), converted on this machine.")
        var onnx: String?

        @Option(help: "Register under this name (required with --onnx; with --safetensors, instead of the manifest's).")
        var name: String?

        @Option(help: "With --onnx: class names, comma-separated (default 0…k-1).")
        var labels: String?

        @Option(help: "With --onnx: phase-one answers below this confidence go to phase two (default 0.8).")
        var threshold: Double?

        func validate() throws {
            guard (safetensors == nil) != (onnx == nil) else {
                throw ValidationError("Pass exactly one of --safetensors and --onnx.")
            }
            if onnx != nil, name == nil { throw ValidationError("--onnx needs --name for the new model.") }
            if safetensors != nil, labels != nil || threshold != nil {
                throw ValidationError(
                    "--labels and --threshold apply only to --onnx; a safetensors bundle carries its own.")
            }
            if let threshold, !(0...1).contains(threshold) {
                throw ValidationError("--threshold must be between 0 and 1.")
            }
        }

        func run() async throws {
            let source: ImportSource
            if let onnx, let name {
                source = .onnx(
                    path: onnx, name: name, labels: labels.map { $0.split(separator: ",").map(String.init) },
                    confidenceThreshold: threshold ?? 0.8)
            } else {
                source = .safetensors(path: safetensors ?? "")
            }
            let bytes = try await reportingErrors { () throws(AdminError) in try source.bundleBytes() }
            let version = try await connection.withClient { client throws(AdminError) in
                try await client.importModel(safetensors: bytes, name: name)
            }
            Console.print(
                "imported \(version.model) version \(version.version) (sha256 \(version.sha256.prefix(12)), "
                    + "int8 sha256 \(version.sha256Int8.prefix(12)))")
        }
    }
}
