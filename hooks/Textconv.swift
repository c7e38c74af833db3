import FolioStore
import Foundation

/// `folio textconv`: the driver a clone's `git diff` and `git log -p` use to show an envelope as lines
/// (type and metadata, one per line, then the content) instead of one long line of JSON.
public enum Textconv {
    /// The readable form of a file's bytes; anything that is not an envelope is shown as it is, since a
    /// diff driver must never hide a file's content.
    public static func render(_ data: Data) -> Data {
        guard let envelope = try? Envelope.decode(data) else { return data }
        var text = "type: \(envelope.type)\n"
        for name in envelope.metadata.keys.sorted() {
            let value = envelope.metadata[name].map { value in
                if case .string(let string) = value { return string }
                return value.canonicalText
            } ?? ""
            text += "metadata.\(name): \(value.replacingOccurrences(of: "\n", with: "\\n"))\n"
        }
        text += "\n" + envelope.content
        if !envelope.content.hasSuffix("\n") { text += "\n" }
        return Data(text.utf8)
    }
}
