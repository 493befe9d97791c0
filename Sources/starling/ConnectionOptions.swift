import ArgumentParser
import Foundation
import StarlingAdmin
import StarlingProtocol

/// The flags that say where the aggregator is, shared by every command that calls it.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The aggregator's URL, e.g. https://127.0.0.1:8443 (or STARLING_URL).")
    var url: String?

    @Option(help: "The aggregator's CA certificate file (or STARLING_CA).")
    var ca: String?

    @Option(help: "The admin bearer token (or STARLING_TOKEN).")
    var token: String?

    @Option(help: "An aggregator's data folder on this machine (or STARLING_AGGREGATOR_DIR).")
    var aggregatorDir: String?

    /// Runs `body` with a connected admin client, then closes it; errors become one line on stderr
    /// and the exit status of their kind.
    func withClient<T>(_ body: (AdminClient) async throws(AdminError) -> T) async throws -> T {
        try await reportingErrors { () async throws(AdminError) -> T in
            let connection = try AdminConnection.resolve(
                url: url, caPath: ca, token: token, aggregatorDir: aggregatorDir)
            let client = try AdminClient(connection: connection)
            do throws(AdminError) {
                let value = try await body(client)
                await client.shutdown()
                return value
            } catch {
                await client.shutdown()
                throw error
            }
        }
    }
}

/// Turns an ``AdminError`` into one sentence on stderr and its exit status.
func reportingErrors<T>(_ body: () async throws(AdminError) -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        Console.error(error.description)
        throw ExitCode(error.exitCode)
    }
}

/// Where command output goes: results to stdout, problems to stderr, flushed line by line. Much of
/// what the CLI prints came from devices or requests (running models, report messages, reasons), so
/// every control character but the line breaks is printed escaped (`\u{1B}`), never acted on by the
/// terminal.
enum Console {
    static func print(_ text: String) {
        Swift.print(safe(text))
        fflush(nil)
    }

    static func error(_ line: String) {
        FileHandle.standardError.write(Data("error: \(safe(line))\n".utf8))
    }

    /// A line for the person at the terminal that is not the command's result, so it stays out of
    /// what a script captures from stdout.
    static func note(_ line: String) {
        FileHandle.standardError.write(Data("\(safe(line))\n".utf8))
    }

    /// `text` with the control characters of each line escaped, its line breaks kept.
    static func safe(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { ControlCharacters.escaped(String($0)) }.joined(separator: "\n")
    }

    /// One JSON line for `--json` output.
    static func json<T: Encodable>(_ value: T) throws {
        print(try StarlingJSON.line(value))
    }
}
