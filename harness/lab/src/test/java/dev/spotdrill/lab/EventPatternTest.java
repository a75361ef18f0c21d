package dev.spotdrill.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** EventBridge's event-pattern language as the lab parses and matches it. */
class EventPatternTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WARNING = "{\"version\":\"0\",\"id\":\"1\",\"detail-type\":\"EC2 Spot Instance"
            + " Interruption Warning\",\"source\":\"aws.ec2\",\"account\":\"123456789012\",\"time\":"
            + "\"2026-01-15T10:28:00Z\",\"region\":\"us-east-2\",\"resources\":[\"arn:aws:ec2:us-east-2:"
            + "123456789012:instance/i-0abc\"],\"detail\":{\"instance-id\":\"i-0abc\",\"instance-action\":"
            + "\"terminate\",\"count\":3,\"ready\":true,\"gone\":null,\"tags\":[\"a\",\"b\"],"
            + "\"items\":[{\"name\":\"x\"},{\"name\":\"y\"}]}}";

    private static boolean matches(String pattern) {
        return matches(pattern, WARNING);
    }

    private static boolean matches(String pattern, String event) {
        try {
            JsonNode e = JSON.readTree(event);
            return EventPattern.parse(pattern).matches(e);
        } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
            throw new IllegalArgumentException(x);
        }
    }

    @ParameterizedTest(name = "{0} matches: {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"source\":[\"aws.ec2\"]}|true",
                "{\"source\":[\"aws.fis\"]}|false",
                // arrays of values are an OR
                "{\"source\":[\"aws.fis\",\"aws.ec2\"]}|true",
                // every field must match: an AND
                "{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Instance Rebalance Recommendation\"]}|false",
                "{\"detail\":{\"instance-id\":[\"i-0abc\"]}}|true",
                "{\"detail\":{\"instance-id\":[\"i-0def\"]}}|false",
                "{\"detail\":{\"instance-id\":[\"i-0def\",\"i-0abc\"]},\"source\":[\"aws.ec2\"]}|true",
                // a field the event lacks never matches a value
                "{\"detail\":{\"state\":[\"running\"]}}|false",
                "{\"detail\":{\"instance-id\":{\"nested\":[\"x\"]}}}|false",
                // numbers compare as numbers, booleans and null exactly
                "{\"detail\":{\"count\":[3.0]}}|true",
                "{\"detail\":{\"count\":[\"3\"]}}|false",
                "{\"detail\":{\"ready\":[true]}}|true",
                "{\"detail\":{\"ready\":[false]}}|false",
                "{\"detail\":{\"gone\":[null]}}|true",
                // an array in the event matches when any element does
                "{\"detail\":{\"tags\":[\"b\"]}}|true",
                "{\"detail\":{\"tags\":[\"c\"]}}|false",
                "{\"resources\":[\"arn:aws:ec2:us-east-2:123456789012:instance/i-0abc\"]}|true",
                "{\"detail\":{\"items\":{\"name\":[\"y\"]}}}|true",
                "{\"detail\":{\"items\":{\"name\":[\"z\"]}}}|false",
                // content filters
                "{\"detail\":{\"instance-id\":[{\"prefix\":\"i-0a\"}]}}|true",
                "{\"detail\":{\"instance-id\":[{\"prefix\":\"i-0d\"}]}}|false",
                "{\"detail-type\":[{\"suffix\":\"Warning\"}]}|true",
                "{\"detail-type\":[{\"equals-ignore-case\":\"ec2 spot instance interruption warning\"}]}|true",
                "{\"detail-type\":[{\"wildcard\":\"EC2 * Warning\"}]}|true",
                "{\"detail-type\":[{\"wildcard\":\"EC2 * Notice\"}]}|false",
                "{\"detail\":{\"instance-action\":[{\"anything-but\":\"stop\"}]}}|true",
                "{\"detail\":{\"instance-action\":[{\"anything-but\":[\"stop\",\"terminate\"]}]}}|false",
                "{\"detail\":{\"instance-action\":[{\"anything-but\":{\"prefix\":\"term\"}}]}}|false",
                "{\"detail\":{\"state\":[{\"anything-but\":\"x\"}]}}|false",
                "{\"detail\":{\"state\":[{\"exists\":false}]}}|true",
                "{\"detail\":{\"state\":[{\"exists\":true}]}}|false",
                "{\"detail\":{\"instance-id\":[{\"exists\":true}]}}|true",
                "{\"detail\":{\"count\":[{\"numeric\":[\">\",2,\"<=\",3]}]}}|true",
                "{\"detail\":{\"count\":[{\"numeric\":[\">\",3]}]}}|false",
                // $or: one alternative must match
                "{\"$or\":[{\"source\":[\"aws.fis\"]},{\"detail\":{\"instance-id\":[\"i-0abc\"]}}]}|true",
                "{\"$or\":[{\"source\":[\"aws.fis\"]},{\"detail\":{\"instance-id\":[\"i-0def\"]}}]}|false",
            })
    void matchesAsEventBridgeDoes(String pattern, boolean expected) {
        assertThat(matches(pattern)).isEqualTo(expected);
    }

    @Test
    void theHarnessPatternMatchesItsInstancesAndItsTemplateOnly() {
        String pattern = "{\"$or\":[{\"source\":[\"aws.ec2\"],\"detail-type\":[\"EC2 Spot Instance Interruption"
                + " Warning\",\"EC2 Instance Rebalance Recommendation\",\"EC2 Instance State-change Notification\"],"
                + "\"detail\":{\"instance-id\":[\"i-0abc\"]}},{\"source\":[\"aws.fis\"],\"detail-type\":[\"FIS"
                + " Experiment State Change\"],\"detail\":{\"experiment-template-id\":[\"EXT1\"]}}]}";
        assertThat(matches(pattern)).isTrue();
        assertThat(matches(pattern, WARNING.replace("i-0abc", "i-0def"))).isFalse();
        assertThat(matches(
                        pattern,
                        "{\"source\":\"aws.fis\",\"detail-type\":\"FIS Experiment State Change\","
                                + "\"detail\":{\"experiment-template-id\":\"EXT1\"}}"))
                .isTrue();
        assertThat(matches(
                        pattern,
                        "{\"source\":\"aws.fis\",\"detail-type\":\"FIS Experiment State Change\","
                                + "\"detail\":{\"experiment-template-id\":\"EXT2\"}}"))
                .isFalse();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(
            delimiter = '|',
            value = {
                "{\"source\":\"aws.ec2\"}|\"source\" must be an object or an array at [Source: (String)"
                        + "\"{\"source\":\"aws.ec2\"}\"; line: 1, column: ",
                "[\"aws.ec2\"]|Filter is not an object",
                "{}|Empty objects are not allowed",
                "{\"detail\":{}}|Empty objects are not allowed",
                "{\"source\":[[\"a\"]]}|Match value must be String, number, true, false, or null",
                "{\"source\":[{\"prefix\":1}]}|prefix match pattern must be a string",
                "{\"source\":[{\"suffix\":[\"a\"]}]}|suffix match pattern must be a string",
                "{\"source\":[{\"exists\":\"yes\"}]}|exists match pattern must be either true or false.",
                "{\"source\":[{\"anything-but\":true}]}|Value of anything-but must be an array or single"
                        + " string/number value.",
                "{\"source\":[{\"numeric\":[\"!\",1]}]}|Unrecognized numeric range operator: !",
                "{\"source\":[{\"numeric\":5}]}|Value of numeric must be an array.",
                "{\"source\":[{\"regex\":\"a\"}]}|Unrecognized match type regex",
                "{\"source\":[{\"prefix\":\"a\",\"suffix\":\"b\"}]}|Only one key allowed in match expression",
                "{\"$or\":[{\"source\":[\"a\"]}]}|$or must have at least 2 alternatives",
                "{\"source\":[\"a\"]} {\"x\":[1]}|Unexpected content after the pattern's closing brace",
                "{source:[\"a\"]}|Unexpected character ('s' (code 115)): was expecting double-quote to start field"
                        + " name at [Source: (String)\"{source:[\"a\"]}\"; line: 1, column: 2]",
            })
    void refusesMalformedPatternsWithTheReasonAndPlace(String pattern, String reason) {
        assertThatThrownBy(() -> EventPattern.parse(pattern))
                .isInstanceOf(EventPattern.Invalid.class)
                .hasMessageContaining(reason);
    }

    @Test
    void refusesABlankPattern() {
        assertThatThrownBy(() -> EventPattern.parse(" "))
                .isInstanceOf(EventPattern.Invalid.class)
                .hasMessage("Event pattern must not be empty");
    }
}
