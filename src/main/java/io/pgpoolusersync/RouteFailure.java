package io.pgpoolusersync;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.camel.CamelContext;
import org.apache.camel.FailedToCreateRouteException;
import org.apache.camel.FailedToStartRouteException;
import org.apache.camel.model.BeanDefinition;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.EndpointRequiredDefinition;
import org.apache.camel.model.HasExpressionType;
import org.apache.camel.model.FilterDefinition;
import org.apache.camel.model.Model;
import org.apache.camel.model.OptionalIdentifiedDefinition;
import org.apache.camel.model.OtherwiseDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.TryDefinition;
import org.apache.camel.model.WhenDefinition;
import org.apache.camel.model.language.ExpressionDefinition;
import org.apache.camel.spi.Language;

/**
 * The routes did not start: the file, the line and the reason, in one message. Camel names the failed
 * route and, for a step nested in a doTry or a filter, only the outermost step; this finds the step
 * itself (an endpoint that does not resolve, an expression that does not parse, a bean that is not
 * there) and takes its line from the YAML DSL.
 */
public final class RouteFailure extends Exception {

    /** The YAML DSL's own errors already say {@code in file:/x.camel.yaml, line 7, column 11}. */
    private static final Pattern YAML_LOCATION = Pattern.compile("in (?:file|classpath):(\\S+?), line (\\d+)");

    private RouteFailure(String message, Throwable cause) {
        super(message, cause);
    }

    /** Null when the error is not a route's. */
    static RouteFailure of(CamelContext context, Throwable error) {
        String reason = reason(error);
        for (Throwable t = error; t != null; t = t.getCause()) {
            Matcher at = YAML_LOCATION.matcher(String.valueOf(t.getMessage()));
            if (at.find()) {
                return new RouteFailure("route file " + at.group(1) + " line " + at.group(2) + ": "
                        + firstLine(t.getMessage()), error);
            }
        }
        String routeId = routeId(error);
        RouteDefinition route = routeId == null || context == null ? null
                : context.getCamelContextExtension().getContextPlugin(Model.class).getRouteDefinition(routeId);
        if (route == null) {
            return null; // not a route's fault
        }
        OptionalIdentifiedDefinition<?> step = culprit(context, route);
        String file = step != null && step.getLocation() != null ? step.getLocation() : route.getLocation();
        int line = step != null && step.getLineNumber() > 0 ? step.getLineNumber() : route.getLineNumber();
        return new RouteFailure("route file " + strip(file) + " line " + line + " (route " + routeId
                + (step == null ? "" : ", step " + step.getShortName()) + "): " + reason, error);
    }

    private static String routeId(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof FailedToCreateRouteException e) {
                return e.getRouteId();
            }
            if (t instanceof FailedToStartRouteException e) {
                return e.getRouteId();
            }
        }
        return null;
    }

    /** The first step, depth first, whose endpoint, expression or bean cannot be had. */
    private static OptionalIdentifiedDefinition<?> culprit(CamelContext context, RouteDefinition route) {
        List<OptionalIdentifiedDefinition<?>> steps = new ArrayList<>();
        Set<Object> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect(route.getInput(), steps, seen);
        route.getOutputs().forEach(output -> collect(output, steps, seen));
        for (OptionalIdentifiedDefinition<?> step : steps) {
            try {
                if (step instanceof EndpointRequiredDefinition endpoint && endpoint.getEndpointUri() != null) {
                    context.getEndpoint(endpoint.getEndpointUri());
                }
                if (step instanceof BeanDefinition bean && bean.getRef() != null
                        && context.getRegistry().lookupByName(bean.getRef()) == null) {
                    return step;
                }
                if (step instanceof HasExpressionType node && node.getExpressionType() != null) {
                    parse(context, node.getExpressionType(),
                            step instanceof FilterDefinition || step instanceof WhenDefinition);
                }
            } catch (RuntimeException e) {
                return step;
            }
        }
        return null;
    }

    private static void parse(CamelContext context, ExpressionDefinition expression, boolean predicate) {
        if (expression.getLanguage() == null || expression.getExpression() == null) {
            return;
        }
        Language language = context.resolveLanguage(expression.getLanguage());
        String text = context.resolvePropertyPlaceholders(expression.getExpression());
        if (predicate) {
            language.createPredicate(text);
        } else {
            language.createExpression(text);
        }
    }

    private static void collect(OptionalIdentifiedDefinition<?> step, List<OptionalIdentifiedDefinition<?>> all,
            Set<Object> seen) {
        if (step == null || !seen.add(step)) {
            return;
        }
        all.add(step);
        List<ProcessorDefinition<?>> outputs = step instanceof ProcessorDefinition<?> p ? p.getOutputs()
                : step instanceof WhenDefinition when ? when.getOutputs()
                : step instanceof OtherwiseDefinition otherwise ? otherwise.getOutputs() : List.of();
        outputs.forEach(output -> collect(output, all, seen));
        if (step instanceof TryDefinition attempt) {
            attempt.getCatchClauses().forEach(clause -> collect(clause, all, seen));
            collect(attempt.getFinallyClause(), all, seen);
        }
        if (step instanceof ChoiceDefinition choice) {
            choice.getWhenClauses().forEach(when -> collect(when, all, seen));
            collect(choice.getOtherwise(), all, seen);
        }
    }

    /** The deepest cause says it best ("No endpoint could be found for: nosuch://thing ..."). */
    private static String reason(Throwable error) {
        Throwable root = error;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = firstLine(root.getMessage());
        return message.isBlank() ? root.getClass().getSimpleName() : message;
    }

    private static String strip(String location) {
        if (location == null) {
            return "(unknown)";
        }
        return location.startsWith("file:") ? location.substring(5) : location;
    }

    private static String firstLine(String message) {
        return message == null ? "" : message.lines().findFirst().orElse("").trim();
    }
}
