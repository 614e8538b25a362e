import Testing

@testable import TaskhookDaemon

@Suite struct MediaTypeTests {
    @Test(
        arguments: [
            "application/json", "Application/JSON", "application/json; charset=utf-8", " application/json ;x=y",
            "\tapplication/json\t", "application/cloudevents+json", "APPLICATION/VND.API+JSON; v=1",
            "application/+json",
        ])
    func jsonMediaTypesAreAccepted(contentType: String) {
        #expect(MediaType.isJSON(Array(contentType.utf8)[...]))
    }

    @Test(
        arguments: [
            "", "text/html", "application/jsonx", "application/json-seq", "text/json", "application/xml",
            "application/+jso", "application+json", "application/ json", "json", "application/json\u{0130}",
        ])
    func otherMediaTypesAreNot(contentType: String) {
        #expect(!MediaType.isJSON(Array(contentType.utf8)[...]))
    }
}
