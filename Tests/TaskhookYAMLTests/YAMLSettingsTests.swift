import TaskhookProviders
import TaskhookYAML
import Testing

/// The YAML reader on its own: libyaml's events become a `Setting` tree with paths and lines.
@Suite struct YAMLSettingsTests {
    /// `{key@line: value}`, `[items]`, `'scalar'@line path`, `~` for null: structure, lines and paths.
    func render(_ setting: Setting) -> String {
        switch setting.value {
        case .null: "~@\(setting.line ?? 0)"
        case .scalar(let text): "'\(text)'@\(setting.line ?? 0):\(setting.path)"
        case .list(let items): "[" + items.map(render).joined(separator: ", ") + "]"
        case .mapping(let members):
            "{" + members.map { "\($0.key)@\($0.line ?? 0): \(render($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    func tree(_ yaml: String) throws -> String? { try YAMLSettings.document(yaml).map(render) }

    func failure(_ yaml: String) -> SettingError? {
        do {
            _ = try YAMLSettings.document(yaml)
            return nil
        } catch {
            return error
        }
    }

    @Test func blockAndFlowCollectionsBecomeTreesWithPathsAndLines() throws {
        let yaml = """
            # a comment
            journal:
              sync: always   # trailing comment
            routes:
              - path: "/hooks/a"
                secret: {env: S, 'quoted key': 'x'}
              - [1, two]
            """
        #expect(
            try tree(yaml)
                == "{journal@2: {sync@3: 'always'@3:journal.sync}, routes@4: [{path@5: '/hooks/a'@5:routes[0].path, "
                + "secret@6: {env@6: 'S'@6:routes[0].secret.env, quoted key@6: 'x'@6:routes[0].secret.quoted key}}, "
                + "['1'@7:routes[1][0], 'two'@7:routes[1][1]]]}")
    }

    @Test func onlyAPlainEmptyTildeOrNullIsNull() throws {
        #expect(
            try tree("a:\nb: ~\nc: null\nd: ''\ne: \"null\"\nf: Null\n")
                == "{a@1: ~@1, b@2: ~@2, c@3: ~@3, d@4: ''@4:d, e@5: 'null'@5:e, f@6: 'Null'@6:f}")
    }

    @Test func blockScalarsKeepTheirText() throws {
        #expect(
            try tree("a: |\n  one\n  two\nb: >\n  folded\n  line\n")
                == "{a@1: 'one\ntwo\n'@1:a, b@4: 'folded line\n'@4:b}")
    }

    @Test func aFileWithoutADocumentHasNoTree() throws {
        #expect(try tree("") == nil)
        #expect(try tree("# only a comment\n\n") == nil)
        #expect(try tree("---\n") == "~@2")
    }

    @Test func aSecondDocumentIsRefusedAtItsLine() {
        let error = failure("a: 1\n---\nb: 2\n")
        #expect(error?.line == 2)
        #expect(error?.message == "not valid YAML: the file holds more than one document")
    }

    @Test func aliasesAreRefusedButAnAnchorAloneIsNot() throws {
        #expect(try tree("a: &x 1\n") == "{a@1: '1'@1:a}")
        let error = failure("a: &x 1\nb: *x\n")
        #expect(error?.path == "b")
        #expect(error?.line == 2)
        #expect(error?.message.hasPrefix("YAML aliases are not supported") == true)
    }

    @Test func aKeyMustBeAScalar() {
        let error = failure("outer:\n  ? [a, b]\n  : value\n")
        #expect(error?.path == "outer")
        #expect(error?.line == 2)
        #expect(error?.message == "a key must be a plain word, not a list or mapping")
    }

    @Test func aKeyGivenTwiceInOneMappingIsRefusedAtTheSecond() throws {
        let error = failure("routes:\n  - path: /a\n    provider: fal\n    \"path\": /b\n")
        #expect(error?.path == "routes[0].path")
        #expect(error?.line == 4)
        #expect(error?.message == "given more than once in this mapping (first on line 2)")
        // The same key in two mappings is two keys.
        #expect(try tree("a: {x: 1}\nb: {x: 2}\n") != nil)
    }

    @Test func nestingIsBounded() throws {
        let deep =
            String(repeating: "[", count: YAMLSettings.maximumDepth + 1)
            + String(repeating: "]", count: YAMLSettings.maximumDepth + 1)
        #expect(failure(deep)?.message == "nested deeper than \(YAMLSettings.maximumDepth) levels")
        let allowed =
            String(repeating: "[", count: YAMLSettings.maximumDepth)
            + String(repeating: "]", count: YAMLSettings.maximumDepth)
        #expect(try tree(allowed) != nil)
    }

    @Test func syntaxErrorsSayWhatAndWhere() {
        let unclosed = failure("key: [unclosed\n")
        #expect(unclosed?.line == 2)
        #expect(
            unclosed?.message
                == "not valid YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 1)")
        let indentation = failure("a:\n  b: 1\n c: 2\n")
        #expect(indentation?.line == 3)
        #expect(indentation?.message.hasPrefix("not valid YAML: ") == true)
        let control = failure("a: \u{07}\n")
        #expect(control?.line == nil)
        #expect(control?.message == "not valid YAML: control characters are not allowed at byte 3")
    }
}
