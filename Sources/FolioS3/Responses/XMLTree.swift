import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// A parsed XML element: just names, text and children, which is all S3's responses use.
struct XMLTreeNode: Sendable {
    var name: String
    var text: String
    var children: [XMLTreeNode]

    /// The first child element called `name`.
    func child(_ name: String) -> XMLTreeNode? {
        children.first { $0.name == name }
    }

    /// Every child element called `name`, in document order.
    func children(named name: String) -> [XMLTreeNode] {
        children.filter { $0.name == name }
    }

    /// The text of the first child called `name`.
    func text(of name: String) -> String? {
        child(name)?.text
    }

    /// Parses a whole document into its root element; nil when it is not well-formed XML.
    static func parse(_ data: Data) -> XMLTreeNode? {
        let builder = XMLTreeBuilder()
        let parser = XMLParser(data: data)
        parser.delegate = builder
        parser.shouldProcessNamespaces = true
        guard parser.parse() else { return nil }
        return builder.root
    }
}

/// Collects `XMLParser` events into `XMLTreeNode`s.
private final class XMLTreeBuilder: NSObject, XMLParserDelegate {
    private var stack: [XMLTreeNode] = []
    private(set) var root: XMLTreeNode?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        stack.append(XMLTreeNode(name: elementName, text: "", children: []))
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        guard !stack.isEmpty else { return }
        stack[stack.count - 1].text += string
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
        guard let finished = stack.popLast() else { return }
        if stack.isEmpty {
            root = finished
        } else {
            stack[stack.count - 1].children.append(finished)
        }
    }
}
