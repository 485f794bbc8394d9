/**
 * The Standard Schema v1 interface (https://standardschema.dev), implemented by zod, valibot,
 * arktype and others. Declared here so `@keel/core` depends on no schema library.
 */
export interface StandardSchemaV1<TInput = unknown, TOutput = TInput> {
  readonly '~standard': StandardSchemaV1.Props<TInput, TOutput>;
}

/** Types of the Standard Schema v1 interface. */
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace StandardSchemaV1 {
  /** The properties under the `~standard` key. */
  export interface Props<TInput = unknown, TOutput = TInput> {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => Result<TOutput> | Promise<Result<TOutput>>;
    readonly types?: Types<TInput, TOutput> | undefined;
  }
  /** A validation result. */
  export type Result<TOutput> = SuccessResult<TOutput> | FailureResult;
  /** A successful validation. */
  export interface SuccessResult<TOutput> {
    readonly value: TOutput;
    readonly issues?: undefined;
  }
  /** A failed validation. */
  export interface FailureResult {
    readonly issues: ReadonlyArray<Issue>;
  }
  /** One validation issue. */
  export interface Issue {
    readonly message: string;
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** A path segment object. */
  export interface PathSegment {
    readonly key: PropertyKey;
  }
  /** Phantom input and output types. */
  export interface Types<TInput = unknown, TOutput = TInput> {
    readonly input: TInput;
    readonly output: TOutput;
  }
  /** The input type of a schema. */
  export type InferInput<TSchema extends StandardSchemaV1> = NonNullable<
    TSchema['~standard']['types']
  >['input'];
  /** The output type of a schema. */
  export type InferOutput<TSchema extends StandardSchemaV1> = NonNullable<
    TSchema['~standard']['types']
  >['output'];
}
