package dev.spotdrill.core.report;

import static dev.spotdrill.core.report.Fixtures.at;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.spotdrill.core.Secret;
import dev.spotdrill.core.drill.DrillInfo;
import dev.spotdrill.core.drill.DrillReport;
import dev.spotdrill.core.drill.Moment;
import dev.spotdrill.core.drill.Observation;
import dev.spotdrill.core.drill.Target;
import dev.spotdrill.core.drill.Timeline;
import dev.spotdrill.core.drill.Verdict;
import dev.spotdrill.core.drill.Window;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class TimelineSvgTest {

    private static final Window NOTICE_30S = Window.of(Moment.NOTICE, Duration.ofSeconds(30));

    static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    static List<Element> elements(Document doc, String xpath) throws Exception {
        NodeList nodes = (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, doc, XPathConstants.NODESET);
        List<Element> out = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            out.add((Element) nodes.item(i));
        }
        return out;
    }

    static Element expectationGroup(Document doc, Verdict v) throws Exception {
        List<Element> groups = elements(doc, "//*[local-name()='g'][@class='expectation']").stream()
                .filter(g -> g.getAttribute("data-expectation").equals(v.expectation())
                        && g.getAttribute("data-target").equals(v.target().instanceId()))
                .toList();
        assertThat(groups)
                .as("one group for %s on %s", v.expectation(), v.target().instanceId())
                .hasSize(1);
        return groups.get(0);
    }

    static Element child(Element g, String tag, String cls) {
        NodeList nodes = g.getElementsByTagNameNS("*", tag);
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (e.getAttribute("class").startsWith(cls)) {
                return e;
            }
        }
        throw new AssertionError("no <" + tag + " class=" + cls + "> in " + g.getAttribute("data-expectation"));
    }

    static double attr(Element e, String name) {
        return Double.parseDouble(e.getAttribute(name));
    }

    @Test
    void isWellFormedSvgWithEveryExpectationNameAndVerdict() throws Exception {
        List<Target> targets = List.of(Fixtures.target(1), Fixtures.target(2));
        List<Verdict> verdicts = Fixtures.verdicts(targets, 4);
        DrillReport report = Fixtures.report(targets, Fixtures.timeline(targets, 2), verdicts, null);

        String svg = TimelineSvg.render(Fixtures.info(Fixtures.labWorld(), List.of()), report);
        Document doc = parse(svg);

        assertThat(doc.getDocumentElement().getLocalName()).isEqualTo("svg");
        assertThat(doc.getDocumentElement().getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
        String text = doc.getDocumentElement().getTextContent();
        for (Verdict v : verdicts) {
            Element g = expectationGroup(doc, v);
            assertThat(g.getAttribute("data-verdict")).isEqualTo(v.met() ? "met" : "missed");
            assertThat(g.getTextContent()).contains(v.expectation());
            assertThat(child(g, "text", "verdict-mark").getTextContent()).isEqualTo(v.met() ? "✓" : "✗");
            assertThat(child(g, "text", "verdict-text").getTextContent())
                    .startsWith(v.met() ? "✓ met +" : "✗ missed at deadline +30.4s");
        }
        assertThat(text).contains("no taint on node", "CheckoutSurvivesSpotLoss.checkoutKeepsServing", "EXP456");
    }

    @Test
    void placesAMetMarkInsideItsWindowAndAMissedMarkAtTheDeadline() throws Exception {
        Target t = Fixtures.target(1);
        Verdict met = Fixtures.met("@ExpectCordon", t, NOTICE_30S, 0.4, 30.4, 12.0);
        Verdict missed = Fixtures.missed("@ExpectDrain", t, Window.untilInterruption(), 0, 120, "2 pods left");
        Document doc = parse(render(List.of(t), Fixtures.timeline(List.of(t), 0), List.of(met, missed)));

        Element metGroup = expectationGroup(doc, met);
        Element bar = child(metGroup, "rect", "window");
        double x1 = attr(bar, "x");
        double x2 = x1 + attr(bar, "width");
        double markX = attr(child(metGroup, "text", "verdict-mark"), "x");
        assertThat(markX).isStrictlyBetween(x1, x2);
        // 12s into a 30s window that starts at 0.4s: about 39% of the bar
        assertThat((markX - x1) / (x2 - x1)).isBetween(0.35, 0.42);

        Element missedGroup = expectationGroup(doc, missed);
        Element missedBar = child(missedGroup, "rect", "window");
        double deadlineX = attr(missedBar, "x") + attr(missedBar, "width");
        assertThat(attr(child(missedGroup, "text", "verdict-mark"), "x"))
                .isCloseTo(deadlineX, org.assertj.core.data.Offset.offset(0.2));
        assertThat(missedGroup.getTextContent()).contains("last seen: 2 pods left");
    }

    @Test
    void aMarkMetAfterItsDeadlineIsDrawnOutsideTheBar() throws Exception {
        // the placement check above can fail: an inconsistent verdict puts its mark past the bar's end
        Target t = Fixtures.target(1);
        Verdict late = Fixtures.met("@ExpectCordon", t, NOTICE_30S, 0.4, 30.4, 60.0);
        Document doc = parse(render(List.of(t), Fixtures.timeline(List.of(t), 0), List.of(late)));
        Element g = expectationGroup(doc, late);
        Element bar = child(g, "rect", "window");
        assertThat(attr(child(g, "text", "verdict-mark"), "x")).isGreaterThan(attr(bar, "x") + attr(bar, "width"));
    }

    @Test
    void drawsMomentsAndOneLanePerTarget() throws Exception {
        List<Target> targets = List.of(Fixtures.target(1), Fixtures.target(2), Fixtures.target(3));
        Document doc = parse(render(targets, Fixtures.timeline(targets, 1), Fixtures.verdicts(targets, 2)));

        List<Element> lanes = elements(doc, "//*[local-name()='g'][@class='lane']");
        assertThat(lanes)
                .extracting(e -> e.getAttribute("data-target"))
                .containsExactly("", "i-0abc1", "i-0abc2", "i-0abc3");
        assertThat(lanes.get(1).getTextContent())
                .contains("i-0abc1 (m5.large, us-east-1b, node ip-10-0-1-1)", "TAINT_ADDED");
        assertThat(elements(doc, "//*[local-name()='line'][@data-moment='START']"))
                .hasSize(1);
        assertThat(elements(doc, "//*[local-name()='line'][@data-moment='INTERRUPTION']"))
                .hasSize(1);
        assertThat(elements(doc, "//*[local-name()='line'][@data-moment='NOTICE']"))
                .hasSize(3);
        assertThat(elements(doc, "//*[local-name()='line'][@data-moment='REBALANCE']"))
                .hasSize(3);
        assertThat(doc.getDocumentElement().getTextContent())
                .contains("INTERRUPTION +120.0s", "NOTICE +0.4s", "START +0.0s");
        // START is left of INTERRUPTION, which is at 120/(120*1.03 + ~1) of the plot
        double start = attr(
                elements(doc, "//*[local-name()='line'][@data-moment='START']").get(0), "x1");
        double end = attr(
                elements(doc, "//*[local-name()='line'][@data-moment='INTERRUPTION']")
                        .get(0),
                "x1");
        assertThat(end - start).isBetween(TimelineSvg.PLOT_WIDTH * 0.9, TimelineSvg.PLOT_WIDTH);
    }

    @Test
    void escapesMarkupAndDropsCharactersThatXmlCannotHold() throws Exception {
        Target t = Fixtures.target(1);
        String name = "@ExpectTaint(key=\"a&b<c>\", effect='NoSchedule') ]]>";
        Timeline tl = Fixtures.timeline(List.of(t), 0);
        tl.add(new Observation(at(5), "kube", t.instanceId(), "POD<&>", "bell \u0007 and <b>bold</b>", Map.of()));
        Verdict v = Fixtures.missed(name, t, NOTICE_30S, 0.4, 30.4, "last <state> & \u0000 more");
        String svg = render(List.of(t), tl, List.of(v));

        Document doc = parse(svg);
        assertThat(expectationGroup(doc, v).getTextContent()).contains(name, "last <state> &  more");
        assertThat(svg).doesNotContain("\u0007", "\u0000", "<b>");
    }

    @Test
    void saysWhenStartNeverCameAndWhenAWindowNeverOpened() throws Exception {
        Target t = Fixtures.target(1);
        Timeline tl = new Timeline();
        tl.add(new Observation(at(-5), "harness", "", "RESOLVED", "1 target", Map.of()));
        Verdict v = new Verdict(
                "@ExpectCordon",
                t,
                NOTICE_30S,
                Optional.empty(),
                Optional.empty(),
                Optional.empty(),
                "no notice",
                "missed");
        Document doc = parse(render(List.of(t), tl, List.of(v)));
        String text = doc.getDocumentElement().getTextContent();
        assertThat(text).contains("START never came", "window never opened: NOTICE was not seen");
        assertThat(elements(doc, "//*[local-name()='line'][@data-moment]")).isEmpty();
    }

    @Test
    void rendersAnEmptyDrillAndRefusesAMissingTimeline() throws Exception {
        Document doc = parse(TimelineSvg.render("empty", "", new Timeline(), List.of(), List.of()));
        assertThat(doc.getDocumentElement().getTextContent()).contains("no targets, observations or verdicts");
        assertThatThrownBy(() -> TimelineSvg.render("x", "", null, List.of(), List.of()))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("timeline");
    }

    @Test
    void redactsSecrets() throws Exception {
        String key = "AKIASVGTEST" + System.nanoTime();
        Secret.of(key);
        Target t = Fixtures.target(1);
        Timeline tl = Fixtures.timeline(List.of(t), 0);
        tl.add(new Observation(at(3), "harness", t.instanceId(), "LEAK", "creds " + key, Map.of("state", key)));
        Verdict v = Fixtures.missed("@ExpectX", t, NOTICE_30S, 0.4, 30.4, "saw " + key);
        String svg = render(List.of(t), tl, List.of(v));
        assertThat(svg).doesNotContain(key).contains("saw ****");
        parse(svg);
    }

    @Test
    void staysLegibleWithFiveTargetsTenExpectationsAndHundredsOfMarks() throws Exception {
        List<Target> targets = IntStream.range(0, 5).mapToObj(Fixtures::target).toList();
        List<Verdict> verdicts = Fixtures.verdicts(targets, 10);
        Timeline tl = Fixtures.timeline(targets, 97); // 100 observations per target
        DrillReport report = Fixtures.report(targets, tl, verdicts, null);
        DrillInfo info = Fixtures.info(Fixtures.labWorld(), List.of());
        TimelineSvg.render(info, report); // warm up

        int runs = 20;
        long t0 = System.nanoTime();
        String svg = null;
        for (int i = 0; i < runs; i++) {
            svg = TimelineSvg.render(info, report);
        }
        double ms = (System.nanoTime() - t0) / 1e6 / runs;
        System.out.printf(
                "TimelineSvg: 5 targets x 10 expectations x 100 observations: %.1f ms, %d KB%n",
                ms, svg.length() / 1024);

        // ci/check-report.sh takes a screenshot of this picture, to look at its legibility
        java.nio.file.Files.writeString(java.nio.file.Path.of("target", "timeline-5-targets-10-expectations.svg"), svg);

        Document doc = parse(svg);
        assertThat(elements(doc, "//*[local-name()='g'][@class='expectation']")).hasSize(50);
        assertThat(elements(doc, "//*[local-name()='g'][@class='observation']")).hasSize(5 * 100 + 2);
        assertThat(attr(doc.getDocumentElement(), "height")).isLessThan(1800);
        assertThat(ms).isLessThan(2000);
    }

    private static String render(List<Target> targets, Timeline tl, List<Verdict> verdicts) {
        return TimelineSvg.render("test", "sub", tl, targets, verdicts);
    }
}
