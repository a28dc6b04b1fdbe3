import RoostCore
import Testing

struct InputSuggestionTests {
    private let fields = ["name", "command", "completions", "parallelism", "backoffLimit"]

    @Test func aTypoGetsTheClosestKnownName() {
        #expect(closestName(to: "paralelism", among: fields) == "parallelism")
        #expect(closestName(to: "Completion", among: fields) == "completions")
        #expect(closestName(to: "backofflimit", among: fields) == "backoffLimit")
    }

    @Test func nothingCloseEnoughSuggestsNothing() {
        #expect(closestName(to: "schedule", among: fields) == nil)
        #expect(closestName(to: "", among: fields) == nil)
        #expect(closestName(to: "name", among: [String]()) == nil)
        #expect(closestName(to: "nme", among: fields, maxDistance: 0) == nil)
    }
}
