import Foundation
import RoostCore
import Testing

extension ResourcesTests {
    /// The Mesos v1 JSON form of resources: exact output, round trips and validation on decoding.
    struct JSONForm {
        private func encoded(_ value: some Encodable) throws -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        }

        private func decoded<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
            try JSONDecoder().decode(type, from: Data(text.utf8))
        }

        /// The description of the error decoding `text` as resources; records an issue if it decodes.
        private func decodingError(_ text: String) -> String {
            do {
                let value = try decoded(Resources.self, text)
                Issue.record("decoded \(value)")
                return ""
            } catch {
                #expect(error is DecodingError)
                return String(describing: error)
            }
        }

        @Test func encodesMesosV1Objects() throws {
            #expect(
                try encoded("cpus:2" as Resources)
                    == #"[{"name":"cpus","role":"*","scalar":{"value":2},"type":"SCALAR"}]"#)
            #expect(
                try encoded("cpus:0.1" as Resources)
                    == #"[{"name":"cpus","role":"*","scalar":{"value":0.1},"type":"SCALAR"}]"#)
            #expect(
                try encoded("ports:[31000-32000]" as Resources)
                    == #"[{"name":"ports","ranges":{"range":[{"begin":31000,"end":32000}]},"role":"*","type":"RANGES"}]"#)
            #expect(
                try encoded("zones:{b,a}" as Resources)
                    == #"[{"name":"zones","role":"*","set":{"item":["a","b"]},"type":"SET"}]"#)
            #expect(
                try encoded("cpus(web,dynamic,principal=p):1" as Resources)
                    == #"[{"name":"cpus","reservation":{"labels":{},"principal":"p"},"role":"web","scalar":{"value":1},"type":"SCALAR"}]"#)
            #expect(try encoded(Resources.empty) == "[]")
            #expect(try encoded([Scalar(2), 0.1, 1.234]) == "[2,0.1,1.234]")
        }

        @Test func reservationAppearsOnlyWhenPresent() throws {
            #expect(try !encoded("cpus(web):1" as Resources).contains("reservation"))
            #expect(try encoded("cpus(web,dynamic):1" as Resources).contains(#""reservation":{"labels":{}}"#))
        }

        @Test func roundTrips() throws {
            let samples: [Resources] = [
                "cpus:2;mem:1024;ports:[31000-32000,33000];disks(role):10;zones:{a,b}",
                "cpus:0.001;cpus(web):9223372036.854;gpus(eng/ml,dynamic,principal=ops,labels={team=ml}):{g0,g1}",
                "ports:[0-0,18446744073709551615-18446744073709551615]",
                .empty,
            ]
            for sample in samples {
                let data = try JSONEncoder().encode(sample)
                #expect(try JSONDecoder().decode(Resources.self, from: data) == sample)
            }
        }

        @Test func decodesMesosJSONWithDefaultsAndMerges() throws {
            let decodedValue = try decoded(
                Resources.self,
                #"""
                [{"name":"cpus","type":"SCALAR","scalar":{"value":1.5}},
                 {"name":"cpus","type":"SCALAR","scalar":{"value":0.5},"role":"*"},
                 {"name":"ports","type":"RANGES","ranges":{"range":[{"begin":3,"end":4},{"begin":1,"end":2}]}},
                 {"name":"zones","type":"SET","set":{}},
                 {"name":"disk","type":"SCALAR","scalar":{"value":10},"role":"web","reservation":{"principal":"ops"}}]
                """#)
            #expect(decodedValue == "cpus:2;ports:[1-4];disk(web,dynamic,principal=ops):10")
        }

        @Test(arguments: [
            (#"[{"name":"cpus","type":"SCALAR","scalar":{"value":-1}}]"#, ["value", "negative"]),
            (#"[{"name":"cpu s","type":"SCALAR","scalar":{"value":1}}]"#, ["name", "'cpu s'"]),
            (#"[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"bad role"}]"#, ["role", "'bad role'"]),
            (#"[{"name":"cpus","type":"TEXT","scalar":{"value":1}}]"#, ["type", "'TEXT'", "SCALAR, RANGES or SET"]),
            (#"[{"name":"cpus","type":"SCALAR"}]"#, ["scalar"]),
            (#"[{"name":"cpus","type":"SCALAR","scalar":{}}]"#, ["value"]),
            (#"[{"name":"cpus","type":"SCALAR","scalar":{"value":"2"}}]"#, ["value"]),
            (#"[{"type":"SCALAR","scalar":{"value":1}}]"#, ["name"]),
            (#"[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":5,"end":3}]}}]"#, ["begin", "after"]),
            (#"[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":-1,"end":3}]}}]"#, ["begin", "integer from 0"]),
            (#"[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":1.5}]}}]"#, ["end", "integer from 0"]),
            (#"[{"name":"cpus","type":"SCALAR","scalar":{"value":1e999}}]"#, ["value", "finite, non-negative"]),
            (#"[{"name":"zones","type":"SET","set":{"item":["a",""]}}]"#, ["item", "empty"]),
            (#"[{"name":"cpus","type":"SCALAR","scalar":{"value":1},"reservation":{}}]"#, ["reservation", "named role"]),
            (
                #"[{"name":"cpus","type":"SCALAR","scalar":{"value":1}},{"name":"cpus","type":"RANGES","ranges":{"range":[]},"role":"web"}]"#,
                ["cpus is both a scalar and ranges"]
            ),
            (#"{"name":"cpus"}"#, ["Array"]),
        ])
        func decodingValidates(_ text: String, _ fragments: [String]) {
            let description = decodingError(text)
            for fragment in fragments {
                #expect(description.contains(fragment), "\(description)")
            }
        }

        @Test func rejectsNaNAndInfinity() throws {
            let decoder = JSONDecoder()
            decoder.nonConformingFloatDecodingStrategy = .convertFromString(
                positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            for amount in ["nan", "inf", "-inf"] {
                let text = #"[{"name":"cpus","type":"SCALAR","scalar":{"value":"\#(amount)"}}]"#
                #expect(throws: DecodingError.self) { try decoder.decode(Resources.self, from: Data(text.utf8)) }
                do {
                    _ = try decoder.decode(Resources.self, from: Data(text.utf8))
                } catch {
                    #expect(String(describing: error).contains("value"))
                    #expect(String(describing: error).contains("not an amount"))
                }
            }
        }

        @Test func partsEncodeAlone() throws {
            #expect(try encoded(ValueRanges([1...2, 5...5])) == #"{"range":[{"begin":1,"end":2},{"begin":5,"end":5}]}"#)
            #expect(try encoded(Reservation(principal: nil, labels: ["a": "b"])) == #"{"labels":{"a":"b"}}"#)
            let resource = try Resource(name: "gpus", value: .set(["g1"]), role: "ml")
            #expect(try encoded(resource) == #"{"name":"gpus","role":"ml","set":{"item":["g1"]},"type":"SET"}"#)
            #expect(try decoded(Resource.self, encoded(resource)) == resource)
            #expect(try decoded(Scalar.self, "1.2346") == 1.235)
        }
    }
}
