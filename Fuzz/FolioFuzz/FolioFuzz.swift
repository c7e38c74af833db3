import FolioStore
import Foundation

/// libFuzzer's entry point (built with `-sanitize=fuzzer`; see scripts/fuzz.sh). The first byte picks
/// what the rest is fed to: the JSON parser, the file key rules or the envelope decoder. Each must
/// either refuse the input with an error or accept it and round-trip exactly; a crash, a hang or a
/// failed round trip is a finding.
@_cdecl("LLVMFuzzerTestOneInput")
public func folioFuzz(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let selector = start[0]
    let data = Data(bytes: start + 1, count: count - 1)
    switch selector % 3 {
    case 0: fuzzJSON(data)
    case 1: fuzzFileKey(data)
    default: fuzzEnvelope(data)
    }
    return 0
}

/// Accepted JSON prints canonically, and the canonical text parses back to the same value.
func fuzzJSON(_ data: Data) {
    guard let value = try? JSONValue.parse(data) else { return }
    let text = value.canonicalText
    guard let again = try? JSONValue.parse(Data(text.utf8)) else { fatalError("canonical text does not parse: \(text)") }
    guard again == value else { fatalError("round trip changed the value: \(text)") }
    guard again.canonicalText == text else { fatalError("canonical text is not stable: \(text)") }
}

/// An accepted key is exactly its parts, and its parts make the same key.
func fuzzFileKey(_ data: Data) {
    guard let text = String(data: data, encoding: .utf8), let key = try? FileKey(parsing: text) else { return }
    guard key.path == text else { fatalError("key \(text) came back as \(key.path)") }
    guard let rebuilt = try? FileKey(projectID: key.projectID, fileType: key.fileType, name: key.name), rebuilt == key else {
        fatalError("the parts of \(text) do not make the same key")
    }
}

/// An accepted envelope encodes canonically, and that encoding decodes to the same envelope.
func fuzzEnvelope(_ data: Data) {
    guard let envelope = try? Envelope.decode(data) else { return }
    let encoded = envelope.encoded()
    guard let again = try? Envelope.decode(encoded) else { fatalError("an encoded envelope does not decode") }
    guard again == envelope, again.encoded() == encoded else { fatalError("the envelope changed in a round trip") }
}
