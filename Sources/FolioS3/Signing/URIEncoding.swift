import FolioSupport
/// Percent-encoding as SigV4 and S3 define it: only the unreserved characters A–Z, a–z, 0–9,
/// `-`, `.`, `_` and `~` stay literal, every other UTF-8 byte becomes `%XX` with uppercase hex.
/// Foundation's URL encoders keep more characters (`+`, `=`, `:`), which S3 would sign
/// differently, so the rule is written out here.
enum URIEncoding {
    /// Encodes a query-string name or value, or a single path segment (`/` encoded too).
    static func encode(_ text: String) -> String {
        encode(text, keepSlash: false)
    }

    /// Encodes an object path, leaving the `/` between segments literal as S3 expects.
    static func encodePath(_ path: String) -> String {
        encode(path, keepSlash: true)
    }

    private static func encode(_ text: String, keepSlash: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if isUnreserved(byte) || (keepSlash && byte == UInt8(ascii: "/")) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                Hex.append(byte, to: &out, uppercase: true)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Decodes `%XX` escapes, and `+` as a space when `plusAsSpace` (the form S3 uses for keys
    /// in listings requested with `encoding-type=url`). Returns nil for malformed escapes or
    /// bytes that are not UTF-8.
    static func decode(_ text: String, plusAsSpace: Bool) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        var bytes = text.utf8.makeIterator()
        while let byte = bytes.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = bytes.next().flatMap(Hex.value(of:)), let low = bytes.next().flatMap(Hex.value(of:)) else {
                    return nil
                }
                out.append(high << 4 | low)
            case UInt8(ascii: "+") where plusAsSpace:
                out.append(UInt8(ascii: " "))
            default:
                out.append(byte)
            }
        }
        return String(validating: out, as: UTF8.self)
    }
}
