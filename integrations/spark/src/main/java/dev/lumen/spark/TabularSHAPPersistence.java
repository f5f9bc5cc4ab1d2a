package dev.lumen.spark;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.ObjectStreamClass;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsReader$;
import org.apache.spark.ml.util.DefaultParamsWriter$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Option;

/**
 * Spark ML persistence of {@link TabularSHAP} ({@code save}, {@code load}, {@code Pipeline.save}).
 * A saved transformer is a folder: {@code metadata/}, Spark's params JSON (every param, as
 * {@code DefaultParamsWriter} writes it), and {@code lumen/}, one Parquet row holding what is not
 * a param: the model factory and the groups (Java-serialized) and the background rows the
 * transformer uses (the first {@code maxBackgroundRows} of its background data, as floats), so a
 * loaded transformer gives the saved one's bits without the original background Dataset. The
 * model factory's classes must be on the loading JVM's class path.
 */
final class TabularSHAPPersistence {
    private static final String STATE = "lumen";
    private static final StructType STATE_SCHEMA = DataTypes.createStructType(new StructField[] {
        DataTypes.createStructField("model_factory", DataTypes.BinaryType, true),
        DataTypes.createStructField("groups", DataTypes.BinaryType, true),
        DataTypes.createStructField("background", DataTypes.BinaryType, true)});

    private TabularSHAPPersistence() {}

    /** Writes a transformer's params and state into a folder. */
    static final class Writer extends MLWriter {
        private final TabularSHAP instance;

        Writer(TabularSHAP instance) {
            this.instance = instance;
        }

        @Override
        public void saveImpl(String path) {
            DefaultParamsWriter$.MODULE$.saveMetadata(instance, path, sparkSession());
            Row state = RowFactory.create(serialize(instance.modelFactory()), serialize(instance.groups()),
                    serialize(instance.usedBackground()));
            sparkSession().createDataFrame(List.of(state), STATE_SCHEMA).coalesce(1).write()
                    .parquet(path + "/" + STATE);
        }
    }

    /** Reads a transformer written by {@link Writer}. */
    static final class Reader extends MLReader<TabularSHAP> {
        @Override
        public TabularSHAP load(String path) {
            DefaultParamsReader.Metadata metadata =
                    DefaultParamsReader$.MODULE$.loadMetadata(path, sparkSession(), TabularSHAP.class.getName());
            TabularSHAP instance = new TabularSHAP(metadata.uid());
            metadata.getAndSetParams(instance, Option.empty());
            List<Row> rows = sparkSession().read().parquet(path + "/" + STATE).collectAsList();
            if (rows.size() != 1) {
                throw new IllegalStateException("TabularSHAP at " + path + ": " + STATE + "/ holds " + rows.size()
                        + " rows, expected 1");
            }
            Row state = rows.get(0);
            instance.setModelFactory(deserialize(state, 0, ModelFactory.class, path));
            @SuppressWarnings("unchecked")
            LinkedHashMap<String, List<String>> groups = deserialize(state, 1, LinkedHashMap.class, path);
            instance.setGroups(groups);
            float[][] background = deserialize(state, 2, float[][].class, path);
            if (background != null) {
                instance.setBackgroundData(frame(sparkSession(), background, instance.getOrDefault(instance.inputCols())));
            }
            return instance;
        }
    }

    /** The background rows as a Dataset of double columns named {@code columns} (exact for floats). */
    private static Dataset<Row> frame(SparkSession spark, float[][] rows, String[] columns) {
        StructField[] fields = new StructField[columns.length];
        for (int j = 0; j < columns.length; j++) {
            fields[j] = DataTypes.createStructField(columns[j], DataTypes.DoubleType, false);
        }
        List<Row> out = new ArrayList<>(rows.length);
        for (float[] row : rows) {
            Object[] values = new Object[row.length];
            for (int j = 0; j < row.length; j++) {
                values[j] = (double) row[j];
            }
            out.add(RowFactory.create(values));
        }
        return spark.createDataFrame(out, DataTypes.createStructType(fields)).coalesce(1);
    }

    private static byte[] serialize(Serializable value) {
        if (value == null) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        } catch (IOException e) {
            throw new IllegalStateException("TabularSHAP: cannot serialize " + value.getClass().getName()
                    + " (the model factory and everything it holds must be Serializable)", e);
        }
        return bytes.toByteArray();
    }

    private static <T> T deserialize(Row state, int field, Class<T> type, String path) {
        if (state.isNullAt(field)) {
            return null;
        }
        byte[] bytes = state.getAs(field);
        try (ObjectInputStream in = new ContextClassLoaderInput(new ByteArrayInputStream(bytes))) {
            return type.cast(in.readObject());
        } catch (IOException | ClassNotFoundException | ClassCastException e) {
            throw new IllegalStateException("TabularSHAP at " + path + ": cannot read its "
                    + STATE_SCHEMA.fields()[field].name() + " (are the model factory's classes on the class path?)", e);
        }
    }

    /** Resolves classes with the thread's context class loader (Spark's, which sees {@code --jars}). */
    private static final class ContextClassLoaderInput extends ObjectInputStream {
        ContextClassLoaderInput(ByteArrayInputStream in) throws IOException {
            super(in);
        }

        @Override
        protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
            ClassLoader loader = Thread.currentThread().getContextClassLoader();
            if (loader != null) {
                try {
                    return Class.forName(desc.getName(), false, loader);
                } catch (ClassNotFoundException e) {
                    return super.resolveClass(desc);
                }
            }
            return super.resolveClass(desc);
        }
    }
}
