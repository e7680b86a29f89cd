# One image for every service: the launcher jar; the command picks the service
# (fanout-stream, delivery-worker, topics, ...). Settings come from WEBHOOKS_* variables.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY . .
RUN mvn -q -B -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/launcher/target/webhooks.jar /app/webhooks.jar
ENV WEBHOOKS_DATA_DIR=/var/lib/webhooks
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/webhooks.jar"]
CMD ["--help"]
