package dev.rootlessjkit.net.api;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a driver registry that only the parent JVM calls: it names a parent half, which may run Netty.
 * Both JVMs load the registries, but the JVM resolves the classes a method names only when the method runs, and the
 * child JVM never runs these (its class path has no Netty, so a slip fails at once). ArchitectureTest follows every
 * dependency of the child's classes except those from methods marked so.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface ParentJvmOnly {
}
