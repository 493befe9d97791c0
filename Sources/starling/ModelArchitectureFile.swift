import Foundation
import StarlingAdmin
import StarlingCore

/// The architecture `starling model create` sends: `--arch` widths or an `--arch-file` layer list,
/// checked here first so a layer that does not fit is named before anything reaches the aggregator.
enum ModelArchitectureFile {
    /// Reads and checks the architecture; exactly one of `arch` and `file` is given.
    static func read(arch: String?, file: String?) throws(AdminError) -> ModelArchitecture {
        let text: String
        if let file {
            let url = URL(fileURLWithPath: file)
            let data: Data
            do {
                let size = try url.resourceValues(forKeys: [.fileSizeKey]).fileSize ?? 0
                guard size <= ModelArchitecture.maximumDescriptionLength else {
                    throw AdminError.configuration(
                        "\(file) is \(size) bytes; a layer list is at most \(ModelArchitecture.maximumDescriptionLength)"
                    )
                }
                data = try Data(contentsOf: url)
            } catch let error as AdminError {
                throw error
            } catch {
                throw .configuration("cannot read \(file): \(error.localizedDescription)")
            }
            text = String(decoding: data, as: UTF8.self)
            guard text.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") else {
                throw .configuration("\(file) is not a layer list: it must be a JSON object with 'input' and 'layers'")
            }
        } else {
            text = arch ?? ""
        }
        do {
            return try ModelArchitecture(parsing: text)
        } catch {
            throw .configuration(error.description)
        }
    }

    /// A registry architecture for a table: dense widths as they are, a layer list as its input
    /// shape, layer count and classes.
    static func summary(_ architecture: String) -> String {
        guard let parsed = try? ModelArchitecture(parsing: architecture), let layout = parsed.network else {
            return architecture
        }
        let input = layout.description.input.map(String.init).joined(separator: "x")
        return "\(input)→\(layout.classes) (\(layout.layers.count) layers)"
    }
}
