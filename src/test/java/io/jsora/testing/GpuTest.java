package io.jsora.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A test method that needs a CUDA device: tagged {@code gpu} and skipped, with the reason printed,
 * where libtorch sees no GPU (the CPU build, or no device).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@Test
@Tag("gpu")
@ExtendWith(RequiresGpu.class)
public @interface GpuTest {}
