# syntax=docker/dockerfile:1
# ReplCache container image. Not built by CI (no Docker engine there); see the README.
#   docker build -t replcache/replcache:0.1.0 .
# The Helm chart (helm/replcache) uses this image by default and runs its ENTRYPOINT command
# after choosing the pod's role; keep the two in step.

# ---- build: the jar, with the Maven wrapper, then Spring Boot's layered extraction into a plain
# classpath layout (replcache.jar + lib/), which class data sharing can map
FROM eclipse-temurin:17-jdk AS build
WORKDIR /src
COPY .mvn/ .mvn/
COPY mvnw pom.xml ./
COPY src/ src/
# The Maven repository is a build cache, not a layer; tests run in CI, not here.
RUN --mount=type=cache,target=/root/.m2 ./mvnw -B -q -DskipTests package \
 && cp target/replcache-*.jar /tmp/app.jar
# One directory per layer (dependencies, spring-boot-loader, snapshot-dependencies, application)
# so that a code change rebuilds only the small application layer.
RUN java -Djarmode=tools -jar /tmp/app.jar extract --layers --application-filename replcache.jar --destination /extracted

# ---- runtime
FROM eclipse-temurin:17-jre
RUN groupadd --system --gid 10001 replcache \
 && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin replcache \
 && mkdir -p /data \
 && chown 10001:10001 /data
WORKDIR /app
COPY --from=build /extracted/dependencies/ ./
COPY --from=build /extracted/spring-boot-loader/ ./
COPY --from=build /extracted/snapshot-dependencies/ ./
COPY --from=build /extracted/application/ ./
ENV REPLCACHE_DATADIR=/data \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70.0 -XX:+ExitOnOutOfMemoryError"
# Class data sharing (scripts/cds.sh does the same outside the image): one training run that
# builds the application context and exits before opening a port, with this image's JVM and
# options, dumps the classes it loaded; about a quarter off the start (README, "Start time").
# The archive records the jar by its absolute path: train and run with the same /app path. A JVM
# that cannot use the archive would start without it, only slower, so -Xshare:on checks it here.
RUN java -XX:ArchiveClassesAtExit=/app/replcache.jsa -Dspring.context.exit=onRefresh -jar /app/replcache.jar \
        --replcache.data-dir=/tmp/cds-training \
 && rm -rf /tmp/cds-training \
 && java -XX:SharedArchiveFile=/app/replcache.jsa -Xshare:on -cp /app/replcache.jar -version
USER 10001:10001
VOLUME /data
# HTTP API and actuator; gRPC API and replication; the Redis protocol.
EXPOSE 8080 9090 6379
ENTRYPOINT ["java", "-XX:SharedArchiveFile=/app/replcache.jsa", "-jar", "/app/replcache.jar"]
