/// Items of named lists that change while the engine runs (the gateway's
/// `/v1/lists/{name}/items`), looked up when a rule is evaluated rather than
/// compiled in. A caller sets them on the record it evaluates (the gateway:
/// the merchant's lists in the request's mode); an item added while a decision
/// runs may be seen by that decision's later checks, never by earlier ones.
public protocol RuntimeLists: AnyObject, Sendable {
    func contains(_ value: String, inList name: String) -> Bool
}

/// How a rule file's `@name` lists are resolved.
public enum ListResolution: Sendable {
    /// Only lists the file declares (the CLI, batch scoring).
    case declaredOnly
    /// A declared list also holds the runtime items of the same name, and an
    /// undeclared `@name` reads the runtime list alone (with a warning).
    /// `where` filters still read declared items only: a counted payment's
    /// filter ran when it was recorded, and a later list change cannot redo it.
    case withRuntimeLists
}
